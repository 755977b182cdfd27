// The provider object of every certificate resource. Its module is its identity: Pulumi's closure serialization writes
// a module under node_modules as `require("pulumi-haproxy-dataplane/provider/dynamic/certificate")`, so each resource's
// `__provider` in state is a line, not kilobytes of code (see methods.ts).
import { methodsFor } from "./methods";

export = methodsFor("certificate");
