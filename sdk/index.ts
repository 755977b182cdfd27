export { Backend, type BackendArgs } from "./backend";
export { Server, type ServerArgs, type InlineServerArgs } from "./server";
export type { Connection } from "./inputs";
export { MapFile, type MapFileArgs, type MapEntry } from "./map-file";
export { Certificate, type CertificateArgs } from "./certificate";
export { ConsulDiscovery, type ConsulDiscoveryArgs } from "./consul-discovery";
export { Frontend, type FrontendArgs, type BindArgs, type AclArgs, type RouteArgs, type HttpRuleArgs, type TcpRuleArgs, type FilterArgs } from "./frontend";
export { GeneralFile, type GeneralFileArgs } from "./general-file";
export { SpoeFile, type SpoeFileArgs } from "./spoe-file";
