#!/bin/sh
# Run one operation through a running `crucible antithesis`; see composer.sh.
exec "$(dirname "$0")/composer.sh" op "$@"
