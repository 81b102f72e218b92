// Starts a real `vulnrelay demo` server (fresh temporary database, Log4Shell story,
// demo accounts) on 127.0.0.1 with a free port, and reads its address and the demo
// accounts' one-time passwords from its standard output.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The vulnrelay binary: $VULNRELAY_BIN, else target/debug/vulnrelay. */
export function binary() {
  return process.env.VULNRELAY_BIN || path.join(root, "target", "debug", "vulnrelay");
}

/**
 * Starts the demo server; resolves to { url, accounts: {email: password}, stop() }.
 */
export function startDemo() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary(), ["demo", "--bind", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
    });
    const accounts = {};
    let buffer = "";
    let stderr = "";
    let done = false;
    const fail = (error) => {
      if (!done) {
        done = true;
        child.kill("SIGTERM");
        reject(error);
      }
    };
    const timer = setTimeout(() => fail(new Error(`the demo server did not start:\n${stderr}`)), 60_000);
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("exit", (code) => fail(new Error(`the demo server exited with ${code}:\n${stderr}`)));
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const account = line.match(/^\s+(\S+@\S+)\s+(\S+)\s+/);
        if (account) { accounts[account[1]] = account[2]; }
        const listening = line.match(/listening on (http:\/\/\S+)/);
        if (listening && !done) {
          done = true;
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve({
            url: listening[1],
            accounts,
            stop: () => new Promise((res) => { child.once("exit", res); child.kill("SIGTERM"); }),
          });
        }
      }
    });
  });
}
