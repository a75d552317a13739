// Starts kinesalite (the Kinesis emulator, in memory) through its library, on 127.0.0.1 only:
//
//   node --import loopback.mjs kinesalite.mjs <kinesalite/index.js> <port>
//
// Settings come from the environment: KINESALITE_STREAM_MS (how long a stream stays CREATING, UPDATING or
// DELETING; default 500) and KINESALITE_SHARD_LIMIT (shards per account; default 1000 — kinesalite's own default
// of 10 is too few for test suites that share one emulator).
//
// Two adaptations, both to requests kinesalite 3.3.3 gets wrong and that the pipeline's tools make; everything
// else reaches kinesalite unchanged (local/esm's documentation lists its other deviations from Kinesis):
//   - StreamARN: kinesalite predates the parameter (2022) and silently drops it, so a request that names its
//     stream only by ARN (pipelinectl redrive does) fails as if it named none. A JSON request with a StreamARN
//     and no StreamName gets the StreamName the ARN ends with.
//   - GetShardIterator AT_TIMESTAMP: kinesalite answers with the first record that arrived at or after the time,
//     and never answers at all when the shard has none (an empty shard, or a time after its last record). Kinesis
//     then returns an iterator at the tip of the shard; so does this launcher, by asking kinesalite for LATEST.
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";

const [modulePath, port] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const db = require(path.join(path.dirname(modulePath), "db"));

// kinesalite loads each action with require: the module cache entry, replaced before kinesalite is loaded, is what
// it gets.
const actionPath = require.resolve(path.join(path.dirname(modulePath), "actions", "getShardIterator.js"));
const getShardIterator = require(actionPath);
require.cache[actionPath].exports = function atTimestampOrLatest(store, data, cb) {
  let shardIx;
  try {
    shardIx = db.resolveShardId(data.ShardId ?? "").shardIx;
  } catch {
    shardIx = undefined;
  }
  if (data.ShardIteratorType !== "AT_TIMESTAMP" || data.Timestamp == null || shardIx === undefined ||
      data.Timestamp * 1000 > Date.now()) {
    return getShardIterator(store, data, cb); // including kinesalite's own errors for these requests
  }
  const values = store.getStreamDb(data.StreamName).createValueStream({
    gt: db.shardIxToHex(shardIx),
    lt: db.shardIxToHex(shardIx + 1),
  });
  let decided = false;
  const decide = (request) => {
    if (decided) return;
    decided = true;
    values.destroy();
    getShardIterator(store, request, cb);
  };
  values.on("data", (record) => {
    if (record.ApproximateArrivalTimestamp >= data.Timestamp) decide(data);
  });
  values.on("end", () => decide({ ...data, ShardIteratorType: "LATEST", Timestamp: undefined }));
  values.on("error", (err) => {
    if (!decided) {
      decided = true;
      cb(err);
    }
  });
};

const kinesalite = require(modulePath);
const streamMs = Number(process.env.KINESALITE_STREAM_MS ?? 500);
const server = kinesalite({
  createStreamMs: streamMs,
  deleteStreamMs: streamMs,
  updateStreamMs: streamMs,
  shardLimit: Number(process.env.KINESALITE_SHARD_LIMIT ?? 1000),
});

const [handle] = server.listeners("request");
server.removeAllListeners("request");
server.on("request", (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = withStreamName(req.headers["content-type"], Buffer.concat(chunks));
    // kinesalite reads the body from the request's data and end events: hand it a stream of the new body.
    const forwarded = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
      headers: req.headers,
      method: req.method,
      url: req.url,
    });
    handle(forwarded, res);
  });
});

// withStreamName adds StreamName from StreamARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME) to a JSON body.
function withStreamName(contentType, body) {
  if (!String(contentType).startsWith("application/x-amz-json-1.1") || !body.includes("StreamARN")) return body;
  let data;
  try {
    data = JSON.parse(body);
  } catch {
    return body; // kinesalite answers SerializationException
  }
  const name = /:stream\/([^/]+)$/.exec(data?.StreamARN ?? "")?.[1];
  if (name === undefined || data.StreamName !== undefined) return body;
  data.StreamName = name;
  return Buffer.from(JSON.stringify(data));
}

server.listen(Number(port), "127.0.0.1", () => {
  const { address, port } = server.address();
  console.log(`kinesalite listening at http://${address}:${port}`);
});
