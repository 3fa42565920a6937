// OpenLedger's own messages and queries for cosmjs, built at run time from the chain's protobuf
// descriptors: the `FileDescriptorSet` that `openledgerd` serves by gRPC reflection, which any
// reflection client writes to a file, e.g. with grpcurl (one service per call; encoded sets
// concatenate into one, and the files they repeat are dropped on load):
//   for s in datanet models attribution; do for k in Msg Query; do
//     grpcurl -plaintext -protoset-out part.bin 127.0.0.1:9090 describe openledger.$s.v1.$k \
//       > /dev/null && cat part.bin
//   done; done > openledger.bin
// so no generated code is checked in anywhere and the types are always the node's own.
//
//   const ol = await OpenLedger.load("openledger.bin");
//   const registry = ol.registry();          // cosmjs' defaults + every openledger.*.Msg*
//   client.signAndBroadcast(addr, [ol.msg("openledger.datanet.v1.MsgCreateDatanet", {...})], "auto");
//   const params = await ol.query(queryClient, "openledger.attribution.v1.Query/Params", {});

import { readFile } from "node:fs/promises";

import { Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";

/** Plain JS of a decoded message: 64-bit integers as decimal strings, enums by name. */
const TO_OBJECT = { longs: String, enums: String, bytes: Uint8Array, defaults: true };

export class OpenLedger {
  constructor(root) {
    this.root = root;
  }

  /** Loads the descriptor set at `path` (binary `FileDescriptorSet`). */
  static async load(path) {
    const set = descriptor.FileDescriptorSet.decode(await readFile(path));
    const seen = new Set();
    set.file = set.file.filter((f) => !seen.has(f.name) && seen.add(f.name));
    return new OpenLedger(protobuf.Root.fromDescriptor(set));
  }

  /** The protobufjs type of a fully qualified message name. */
  type(name) {
    return this.root.lookupType(name);
  }

  /** Every `Msg…` of an `openledger.*` package, as cosmjs registry entries. */
  messageTypes() {
    const out = [];
    const walk = (ns) => {
      for (const nested of ns.nestedArray) {
        if (nested instanceof protobuf.Type) {
          if (/^Msg(?!.*Response$)/.test(nested.name)) {
            out.push([`/${nested.fullName.slice(1)}`, nested]);
          }
        } else if (nested instanceof protobuf.Namespace) {
          walk(nested);
        }
      }
    };
    walk(this.root.lookup("openledger"));
    return out;
  }

  /** A registry that knows cosmjs' default messages, `extra` ones and OpenLedger's. */
  registry(extra = []) {
    return new Registry([...defaultRegistryTypes, ...extra, ...this.messageTypes()]);
  }

  /**
   * A message of type `name` from a plain object: field names as in the .proto files, 64-bit
   * integers as numbers or decimal strings, enums by name or number, nested messages as objects.
   * A field the type does not have is an error (protobufjs would drop it silently).
   */
  message(name, value) {
    const type = this.type(name);
    const check = (t, v, path) => {
      for (const [k, x] of Object.entries(v ?? {})) {
        const field = t.fields[k];
        if (!field) throw new Error(`${path}: ${t.fullName.slice(1)} has no field ${k}`);
        field.resolve();
        if (field.resolvedType instanceof protobuf.Type && x !== null && typeof x === "object") {
          for (const item of field.repeated ? x : [x]) check(field.resolvedType, item, `${path}.${k}`);
        }
      }
    };
    check(type, value, name);
    return type.fromObject(value);
  }

  /** An `EncodeObject` for `signAndBroadcast` (see `message` for `value`). */
  msg(name, value) {
    return { typeUrl: `/${name}`, value: this.message(name, value) };
  }

  /** A message as the bytes of an `Any` (for a gov proposal's messages). */
  any(name, value) {
    return { typeUrl: `/${name}`, value: this.type(name).encode(this.message(name, value)).finish() };
  }

  /** Decodes `bytes` of message `name` to a plain object. */
  decode(name, bytes) {
    const type = this.type(name);
    return type.toObject(type.decode(bytes), TO_OBJECT);
  }

  /** The decoded response of the tx's `index`th message (`DeliverTxResponse.msgResponses`). */
  response(result, index = 0) {
    const r = result.msgResponses[index];
    if (!r) throw new Error(`tx ${result.transactionHash} has no message response ${index}`);
    return this.decode(r.typeUrl.slice(1), r.value);
  }

  /**
   * A unary gRPC query by ABCI (`service/Method`, e.g. `openledger.attribution.v1.Query/Params`)
   * through a cosmjs `QueryClient`, as every cosmjs query extension does it.
   */
  async query(queryClient, method, request) {
    const [service, rpc] = method.split("/");
    const svc = this.root.lookupService(service);
    const m = svc.methods[rpc];
    if (!m) throw new Error(`${service} has no method ${rpc}`);
    m.resolve();
    const req = m.resolvedRequestType;
    const bytes = req.encode(this.message(req.fullName.slice(1), request)).finish();
    const answer = await queryClient.queryAbci(`/${service}/${rpc}`, bytes);
    return m.resolvedResponseType.toObject(m.resolvedResponseType.decode(answer.value), TO_OBJECT);
  }
}
