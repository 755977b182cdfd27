// The provider object of every map-file resource. Its module is its identity: Pulumi's closure serialization writes
// a module under node_modules as `require("pulumi-haproxy-dataplane/provider/dynamic/map-file")`, so each resource's
// `__provider` in state is a line, not kilobytes of code (see methods.ts).
import { methodsFor } from "./methods";

export = methodsFor("map-file");
