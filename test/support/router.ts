// A frontend for tests that need requests to reach a backend by name, made
// with the provider's own DPAPI client (the product, not raw DPAPI requests):
// the bench's haproxy.cfg has no frontend of its own. Made once in beforeAll,
// it is not part of any stack, so it leaves a stack's resource counts alone;
// its creation is one reload, before anything a test counts.
import { connect, type DataplaneClient, type FrontendSection, type SwitchingRule } from "../../provider/client";
import { freePort, type Bench } from "../bench/bench";

export interface Router {
  /** The frontend's name in haproxy.cfg. */
  name: string;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Deletes the frontend (one reload). */
  remove(): Promise<void>;
}

export interface RouterOptions {
  /** Frontend name; default `test_router`. */
  name?: string;
  /**
   * `use_backend` rules, first match wins. Default: the backend named by the request's `x-backend` header
   * (HAProxy ignores a name that is not a backend; with no default backend it then answers 503).
   */
  routes?: SwitchingRule[];
}

/** The default route: `use_backend %[req.hdr(x-backend)] if { req.hdr(x-backend) -m found }`. */
export const BY_HEADER: SwitchingRule = { name: "%[req.hdr(x-backend)]", cond: "if", cond_test: "{ req.hdr(x-backend) -m found }" };

function benchClient(bench: Bench): Promise<DataplaneClient> {
  const dp = bench.dataplane!;
  return connect({ url: dp.url, username: dp.username, password: dp.password });
}

/** Creates the frontend on a free 127.0.0.1 port and returns once HAProxy runs it. */
export async function startRouter(bench: Bench, opts: RouterOptions = {}): Promise<Router> {
  const client = await benchClient(bench);
  const name = opts.name ?? "test_router";
  const port = await freePort();
  const section: FrontendSection = {
    frontend: { name, mode: "http" },
    binds: [{ name: "router", address: "127.0.0.1", port }],
    acls: [],
    backend_switching_rules: opts.routes ?? [BY_HEADER],
    http_request_rules: [],
    http_response_rules: [],
    tcp_request_rules: [],
    filters: [],
  };
  await client.changeFrontend(section);
  if (!(await client.frontendLive(name))) throw new Error(`router ${name}: HAProxy does not run it after the reload`);
  return {
    name, port, url: `http://127.0.0.1:${port}`,
    async remove() { await client.deleteFrontend(name); },
  };
}
