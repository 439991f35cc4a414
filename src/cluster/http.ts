/**
 * One JSON POST over HTTP or HTTPS (with a CA of the test's own), for the
 * recipes' probes and the etcd test client. `fetch` cannot take a CA on Node
 * 20 without undici's own dispatcher, so this uses `node:http(s)`.
 */
import { type Agent, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PostOptions {
  readonly signal?: AbortSignal;
  /** PEM of the CA that signed the server's certificate (an `https:` URL). */
  readonly ca?: string | Buffer;
  readonly agent?: Agent;
}

export interface PostResult {
  readonly status: number;
  readonly text: string;
}

/** POST `body` (JSON text) to `url`; resolves with the status and the whole answer. */
export function postJsonText(url: string, body: string, options: PostOptions = {}): Promise<PostResult> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        ...(options.signal && { signal: options.signal }),
        ...(secure && options.ca !== undefined && { ca: options.ca }),
        ...(options.agent && { agent: options.agent }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
