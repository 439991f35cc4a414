// Run by node-test.test.ts under `node --test`: the datadriven files of the folder named by DD_DIR.
import { testDataDriven } from "../../src/datadriven/node-test.js";
import { fixtureHandler } from "./handler.js";

testDataDriven(process.env.DD_DIR ?? "test/datadriven/testdata", fixtureHandler);
