// One MapFile whose entries come from a JSON file named in stack config: for
// maps too large to pass through `pulumi config set` (the benchmark's 10 000 entries).
const fs = require("node:fs");
const pulumi = require("@pulumi/pulumi");
const haproxy = require("pulumi-haproxy-dataplane");

const config = new pulumi.Config();
const entries = JSON.parse(fs.readFileSync(config.require("entriesFile"), "utf8"));
const map = new haproxy.MapFile("hosts", { name: config.get("mapName") ?? "hosts.map", entries });

exports.path = map.path;
