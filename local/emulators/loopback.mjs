// Preloaded (node --import) into every Node emulator: each TCP server the process opens listens on 127.0.0.1
// only. kinesis-mock and fauxqs bind all interfaces and have no setting for it; this pins the address without
// touching node_modules. Servers on a Unix socket, a file descriptor or an existing handle are left alone.
import net from "node:net";

const LOOPBACK = "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const cb = typeof args.at(-1) === "function" ? args.pop() : undefined;
  const [first, second, third] = args;
  let options;
  if (first !== null && typeof first === "object") {
    // listen(options) — unless it is a handle, or options for a path, fd or handle.
    const tcp = !("_handle" in first) && first.path === undefined && first.fd === undefined && first.handle === undefined;
    options = tcp ? { ...first, host: LOOPBACK } : undefined;
  } else if (first === undefined || typeof first === "number" || /^\d+$/.test(String(first))) {
    // listen([port[, host][, backlog]]): the host, whatever it was, becomes the loopback address.
    options = { port: Number(first ?? 0), host: LOOPBACK };
    const backlog = typeof second === "number" ? second : third;
    if (typeof backlog === "number") options.backlog = backlog;
  }
  if (options === undefined) return listen.apply(this, cb ? [...args, cb] : args); // a Unix socket path
  return cb ? listen.call(this, options, cb) : listen.call(this, options);
};
