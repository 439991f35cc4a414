#!/bin/sh
# End the main phase of a running `crucible antithesis` and print its verdict; see composer.sh.
exec "$(dirname "$0")/composer.sh" check "$@"
