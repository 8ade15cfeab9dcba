import { ConfigError, loadConfig } from "../../src/config.js";

/** The message `loadConfig` refuses `environment` with, or `"accepted"`; any other error is rethrown. */
export function configRefusal(environment: NodeJS.ProcessEnv): string {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return "accepted";
}
