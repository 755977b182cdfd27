export * from "./common";
export * from "./api";
export * from "./backend";
export * from "./server";
export * from "./storage";
export * from "./consul";
export * from "./frontend";
