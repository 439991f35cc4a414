export { crucibleVersion } from "../errors/version.js";
