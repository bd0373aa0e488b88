export * from "./metrics";
export * from "./ranking";
