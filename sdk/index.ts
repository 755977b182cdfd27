export { Backend, type BackendArgs, type InlineServerArgs } from "./backend";
export { Server, type ServerArgs } from "./server";
export type { Connection } from "./inputs";
export { MapFile, type MapFileArgs, type MapEntry } from "./map-file";
export { Certificate, type CertificateArgs } from "./certificate";
export { ConsulDiscovery, type ConsulDiscoveryArgs } from "./consul-discovery";
