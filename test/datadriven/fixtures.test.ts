// Every fixture, run through the vitest adapter: one test per directive.
import { describeDataDriven } from "../../src/datadriven/vitest.js";
import { fixtureHandler } from "./handler.js";

describeDataDriven("test/datadriven/testdata", fixtureHandler, { rewrite: false });
