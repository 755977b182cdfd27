export { Backend, type BackendArgs } from "./backend";
export { Server, type ServerArgs } from "./server";
export type { Connection } from "./inputs";
