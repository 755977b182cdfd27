// What check says about a PEM chain, read with node:crypto (no bench needed).
import { pemFailures } from "./certificate";
import { CertFactory } from "../../test/support/haproxy-files";

describe("Certificate chain check", () => {
  const certs = new CertFactory();
  const signed = certs.signedByCa("site.test");
  const otherCa = certs.signedByCa("other.test", "Some Other CA");

  test("a chain that starts with the leaf's issuer passes", () => {
    expect(pemFailures({ certificate: signed.cert, chain: signed.chain, privateKey: signed.key, allowExpired: false })).toEqual([]);
  });

  test("a chain from another CA fails on `chain`, naming both", () => {
    const failures = pemFailures({ certificate: signed.cert, chain: otherCa.chain, privateKey: signed.key, allowExpired: false });
    expect(failures).toHaveLength(1);
    expect(failures[0].property).toBe("chain");
    expect(failures[0].reason).toMatch(/must start with the certificate that signed "CN=site\.test" \(issuer "CN=Bench Intermediate CA"\), but starts with "CN=Some Other CA"/);
  });
});
