// OpenLedger driven by cosmjs as a Cosmos wallet or app drives any Cosmos SDK chain: "auto" fees
// (Simulate), bank, tx lookup and search, staking and distribution, a gov proposal that passes,
// the CosmWasm client with the licence contract, and OpenLedger's own messages through a cosmjs
// Registry built from the node's descriptors. `app/tests/e2e_cosmjs.rs` starts the node and runs
// this file; it reads:
//
//   OPENLEDGER_RPC          CometBFT RPC of a running node (http://127.0.0.1:26657)
//   OPENLEDGER_CHAIN_ID     its chain id
//   OPENLEDGER_MNEMONIC     a funded account (some thousands of OPEN; it delegates and votes)
//   OPENLEDGER_DESCRIPTORS  the node's FileDescriptorSet (see lib/openledger.mjs)
//   OPENLEDGER_LICENSE_WASM the model-license contract (wasm-contracts/artifacts)
//
// The tests run in order and build on each other (the proposal needs the delegation, the paid
// request needs the adapter and its licence).

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { test } from "node:test";

import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { sha256 } from "@cosmjs/crypto";
import { toAscii, toBech32, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import {
  GasPrice,
  QueryClient,
  SigningStargateClient,
  StargateClient,
  assertIsDeliverTxSuccess,
  createProtobufRpcClient,
  setupBankExtension,
  setupDistributionExtension,
  setupStakingExtension,
  setupTxExtension,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { ProposalStatus, VoteOption } from "cosmjs-types/cosmos/gov/v1/gov";
import { QueryClientImpl as GovQuery } from "cosmjs-types/cosmos/gov/v1/query";

import { OpenLedger } from "../lib/openledger.mjs";

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (see the header of this file)`);
  return v;
}

const RPC = env("OPENLEDGER_RPC");
const CHAIN_ID = env("OPENLEDGER_CHAIN_ID");
const PREFIX = "open";
const DENOM = "uopen";
const gasPrice = GasPrice.fromString(`0.025${DENOM}`);
// @cosmjs/cosmwasm-stargate 0.39 re-exports @cosmjs/cosmwasm 0.38, which has its own
// @cosmjs/stargate, and its client takes only a GasPrice of that copy (`instanceof`).
const fromWasmStargate = createRequire(import.meta.resolve("@cosmjs/cosmwasm-stargate"));
const fromCosmwasm = createRequire(fromWasmStargate.resolve("@cosmjs/cosmwasm"));
const wasmGasPrice = fromCosmwasm("@cosmjs/stargate").GasPrice.fromString(`0.025${DENOM}`);

/** The SDK's module account address: the first 20 bytes of sha256(name). */
const moduleAddress = (name) => toBech32(PREFIX, sha256(toAscii(name)).slice(0, 20));

async function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `f` until it returns something other than undefined; bounded by `timeoutMs`. */
async function until(what, timeoutMs, f) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
    }
    await sleep(300);
  }
}

const s = {}; // what the steps share

test("connect: chain id, height, account, balance", async () => {
  s.ol = await OpenLedger.load(env("OPENLEDGER_DESCRIPTORS"));
  s.wallet = await DirectSecp256k1HdWallet.fromMnemonic(env("OPENLEDGER_MNEMONIC"), { prefix: PREFIX });
  [{ address: s.me }] = await s.wallet.getAccounts();
  s.other = await DirectSecp256k1HdWallet.generate(24, { prefix: PREFIX });
  [{ address: s.them }] = await s.other.getAccounts();

  const reader = await StargateClient.connect(RPC);
  assert.equal(await reader.getChainId(), CHAIN_ID);
  assert.ok((await reader.getHeight()) >= 1);
  const account = await reader.getAccount(s.me);
  assert.equal(account.address, s.me);
  assert.ok(account.pubkey === null || account.pubkey.type === "tendermint/PubKeySecp256k1");
  assert.ok(BigInt((await reader.getBalance(s.me, DENOM)).amount) > 0n);
  assert.equal(await reader.getAccount(s.them), null, "a fresh address has no account");
  reader.disconnect();

  s.comet = await connectComet(RPC);
  s.q = QueryClient.withExtensions(
    s.comet,
    setupBankExtension,
    setupStakingExtension,
    setupDistributionExtension,
    setupTxExtension,
  );
  s.gov = new GovQuery(createProtobufRpcClient(s.q));
  s.client = await SigningStargateClient.connectWithSigner(RPC, s.wallet, {
    gasPrice,
    registry: s.ol.registry(),
  });
});

test('bank: "auto" fee send, balances, sequence', async () => {
  const before = BigInt((await s.client.getBalance(s.me, DENOM)).amount);
  const seq = (await s.client.getSequence(s.me)).sequence;
  const r = await s.client.sendTokens(
    s.me,
    s.them,
    [{ denom: DENOM, amount: "50000000" }],
    "auto",
    "from cosmjs",
  );
  assertIsDeliverTxSuccess(r);
  assert.ok(r.gasUsed > 0n && r.gasUsed <= r.gasWanted, `gas used ${r.gasUsed} of ${r.gasWanted}`);
  assert.equal((await s.client.getBalance(s.them, DENOM)).amount, "50000000");
  const after = BigInt((await s.client.getBalance(s.me, DENOM)).amount);
  const fee = before - after - 50000000n;
  // "auto" is simulated gas × 1.4 at the gas price, rounded up.
  const expected = (r.gasWanted * 25n + 999n) / 1000n;
  assert.equal(fee, expected, `fee ${fee} for gas wanted ${r.gasWanted}`);
  assert.equal((await s.client.getSequence(s.me)).sequence, seq + 1);
  const all = await s.client.getAllBalances(s.them);
  assert.deepEqual(all, [{ denom: DENOM, amount: "50000000" }]);
  s.sendTx = r;
});

test("txs: getTx by hash, searchTx by height and by sender", async () => {
  const r = s.sendTx;
  const tx = await s.client.getTx(r.transactionHash);
  assert.ok(tx, "getTx finds the send");
  assert.equal(tx.hash, r.transactionHash);
  assert.equal(tx.height, r.height);
  assert.equal(tx.code, 0);
  // The fee's transfer to the fee collector comes first, then the send's.
  const transfers = tx.events.filter((e) => e.type === "transfer");
  assert.equal(transfers.length, 2, JSON.stringify(tx.events.map((e) => e.type)));
  assert.ok(transfers[1].attributes.some((a) => a.key === "recipient" && a.value === s.them));
  assert.ok(transfers[0].attributes.some((a) => a.key === "recipient" && a.value === moduleAddress("fee_collector")));

  const byHeight = await s.client.searchTx(`tx.height=${r.height}`);
  assert.ok(byHeight.some((t) => t.hash === r.transactionHash), "searchTx by height");
  const bySender = await s.client.searchTx([{ key: "message.sender", value: s.me }]);
  assert.ok(bySender.some((t) => t.hash === r.transactionHash), "searchTx by sender");
  const byRecipient = await s.client.searchTx(`transfer.recipient='${s.them}'`);
  assert.deepEqual(
    byRecipient.map((t) => t.hash),
    [r.transactionHash],
  );
  assert.equal(await s.client.getTx("00".repeat(32)), null, "an unknown hash is null");
});

test("staking and distribution: delegate, rewards, withdraw, undelegate", async () => {
  const { validators } = await s.q.staking.validators("BOND_STATUS_BONDED");
  assert.equal(validators.length, 1);
  s.valoper = validators[0].operatorAddress;
  assert.ok(s.valoper.startsWith("openvaloper1"));

  // 2000 OPEN against the validator's 1000: this account's vote decides the proposal below.
  const amount = { denom: DENOM, amount: "2000000000" };
  assertIsDeliverTxSuccess(await s.client.delegateTokens(s.me, s.valoper, amount, "auto"));
  const d = await s.q.staking.delegation(s.me, s.valoper);
  assert.equal(d.delegationResponse.balance.amount, "2000000000");
  assert.equal(d.delegationResponse.delegation.validatorAddress, s.valoper);

  // Fees of the txs below accrue to the delegators; rewards are there after a block or two.
  await until("delegation rewards", 30000, async () => {
    assertIsDeliverTxSuccess(
      await s.client.sendTokens(s.me, s.them, [{ denom: DENOM, amount: "1" }], "auto"),
    );
    const rewards = await s.q.distribution.delegationRewards(s.me, s.valoper);
    return rewards.rewards.length > 0 ? rewards : undefined;
  });
  const w = await s.client.withdrawRewards(s.me, s.valoper, "auto");
  assertIsDeliverTxSuccess(w);
  const withdrawn = w.events.find((e) => e.type === "withdraw_rewards");
  assert.ok(withdrawn, "a withdraw_rewards event");
  assert.match(withdrawn.attributes.find((a) => a.key === "amount").value, /^[0-9]+uopen$/);

  assertIsDeliverTxSuccess(
    await s.client.undelegateTokens(s.me, s.valoper, { denom: DENOM, amount: "1000000" }, "auto"),
  );
  const u = await s.q.staking.unbondingDelegation(s.me, s.valoper);
  assert.equal(u.unbond.entries.length, 1);
  assert.equal(u.unbond.entries[0].balance, "1000000");
  const after = await s.q.staking.delegation(s.me, s.valoper);
  assert.equal(after.delegationResponse.balance.amount, "1999000000");
});

test("gov v1: a proposal carrying an OpenLedger message passes with this account's vote", async () => {
  const ol = s.ol;
  const current = (await ol.query(s.q, "openledger.attribution.v1.Query/Params", {})).params;
  const price = (BigInt(current.default_price.amount) + 7n).toString();
  const params = { ...current, default_price: { denom: DENOM, amount: price } };
  const { params: govParams } = await s.gov.Params({ paramsType: "" });
  const msg = {
    typeUrl: "/cosmos.gov.v1.MsgSubmitProposal",
    value: {
      messages: [
        ol.any("openledger.attribution.v1.MsgUpdateParams", {
          authority: moduleAddress("gov"),
          params,
        }),
      ],
      initialDeposit: govParams.minDeposit,
      proposer: s.me,
      metadata: "",
      title: "Raise the default inference price",
      summary: "Sent by cosmjs.",
      expedited: false,
    },
  };
  const r = await s.client.signAndBroadcast(s.me, [msg], "auto");
  assertIsDeliverTxSuccess(r);
  const submitted = r.events.find((e) => e.type === "submit_proposal");
  const id = BigInt(submitted.attributes.find((a) => a.key === "proposal_id").value);

  const vote = {
    typeUrl: "/cosmos.gov.v1.MsgVote",
    value: { proposalId: id, voter: s.me, option: VoteOption.VOTE_OPTION_YES, metadata: "" },
  };
  assertIsDeliverTxSuccess(await s.client.signAndBroadcast(s.me, [vote], "auto"));
  const { vote: recorded } = await s.gov.Vote({ proposalId: id, voter: s.me });
  assert.equal(recorded.options[0].option, VoteOption.VOTE_OPTION_YES);

  const status = await until("the proposal to pass", 60000, async () => {
    const { proposal } = await s.gov.Proposal({ proposalId: id });
    return proposal.status === ProposalStatus.PROPOSAL_STATUS_VOTING_PERIOD ? undefined : proposal.status;
  });
  assert.equal(status, ProposalStatus.PROPOSAL_STATUS_PASSED);
  const now = (await ol.query(s.q, "openledger.attribution.v1.Query/Params", {})).params;
  assert.equal(now.default_price.amount, price, "the proposal's message ran");
});

test("CosmWasm: upload, instantiate and query the licence contract", async () => {
  s.wasm = await SigningCosmWasmClient.connectWithSigner(RPC, s.wallet, { gasPrice: wasmGasPrice });
  const code = await readFile(env("OPENLEDGER_LICENSE_WASM"));
  const up = await s.wasm.upload(s.me, code, "auto", "model-license");
  assert.equal(up.checksum, toHex(sha256(code)));
  const details = await s.wasm.getCodeDetails(up.codeId);
  assert.equal(details.creator, s.me);
  const inst = await s.wasm.instantiate(s.me, up.codeId, { denom: DENOM }, "licence", "auto", {
    admin: s.me,
  });
  s.license = inst.contractAddress;
  const contract = await s.wasm.getContract(s.license);
  assert.equal(contract.codeId, up.codeId);
  assert.equal(contract.admin, s.me);
  assert.equal(contract.label, "licence");
  assert.deepEqual(await s.wasm.queryContractSmart(s.license, { config: {} }), { denom: DENOM });
  await assert.rejects(
    s.wasm.queryContractSmart(s.license, { no_such_query: {} }),
    /unknown variant|parse|Error/,
  );
});

test("OpenLedger messages through a cosmjs Registry: Datanet, base model, licensed adapter", async () => {
  const ol = s.ol;
  const send = async (name, value) => {
    const r = await s.client.signAndBroadcast(s.me, [ol.msg(name, value)], "auto");
    assertIsDeliverTxSuccess(r);
    return ol.response(r);
  };
  const schema = JSON.stringify({
    type: "object",
    properties: { q: { type: "string" }, a: { type: "string" } },
    required: ["q", "a"],
    additionalProperties: false,
  });
  const created = await send("openledger.datanet.v1.MsgCreateDatanet", {
    owner: s.me,
    name: "cosmjs-qa",
    description: "questions and answers sent by cosmjs",
    schema,
    curators: [s.me],
    review_quorum: 1,
    contribution_bond: { denom: DENOM, amount: "1000" },
    max_record_bytes: 4096,
    license: "CC-BY-4.0",
  });
  const datanet = created.datanet_id;
  const records = [
    { q: "What is a Datanet?", a: "A registry of contributed records with provenance." },
    { q: "Who is paid?", a: "The contributors whose records influenced an output." },
  ].map((r) => JSON.stringify(r));
  const contributed = await send("openledger.datanet.v1.MsgContribute", {
    contributor: s.me,
    datanet_id: datanet,
    records,
  });
  assert.equal(contributed.record_ids.length, 2);
  const reviewed = await send("openledger.datanet.v1.MsgReview", {
    curator: s.me,
    datanet_id: datanet,
    record_ids: contributed.record_ids,
    verdict: "VERDICT_ACCEPT",
    reason: "",
  });
  assert.deepEqual(reviewed.accepted, contributed.record_ids);
  const version = await send("openledger.datanet.v1.MsgCutVersion", { owner: s.me, datanet_id: datanet });
  assert.equal(version.record_count, "2");
  assert.equal(version.root.length, 32);

  // The chain stores an adapter's weights and checks their hash; it does not run them here.
  const weights = new Uint8Array(4096).map((_, i) => (i * 31) % 251);
  const base = await send("openledger.models.v1.MsgRegisterBaseModel", {
    sender: s.me,
    name: "cosmjs-base",
    architecture: "llama",
    weights_sha256: toHex(sha256(toAscii("cosmjs base weights"))),
    tokenizer_sha256: toHex(sha256(toAscii("cosmjs tokenizer"))),
    source: "cosmjs test",
  });
  const adapter = await send("openledger.models.v1.MsgPublishAdapter", {
    owner: s.me,
    name: "cosmjs-adapter",
    base_model_id: base.base_model_id,
    datanet_id: datanet,
    datanet_version: version.version,
    config: { rank: 8, alpha: "16", target_modules: ["q", "v"], epochs: 1, learning_rate: "0.001", seed: 1 },
    weights,
    weights_sha256: toHex(sha256(weights)),
    metrics: { train_loss: "1.5", eval_loss: "" },
    license_contract: s.license,
  });
  s.adapter = adapter.adapter_id;
  const shown = await ol.query(s.q, "openledger.models.v1.Query/Adapter", { id: s.adapter });
  assert.equal(shown.adapter.owner, s.me);
  assert.equal(shown.adapter.license_contract, s.license);
  assert.equal(toHex(shown.adapter.version_root), toHex(version.root));

  // A bad message is refused at simulation with the chain's error, and nothing is sent.
  const seq = (await s.client.getSequence(s.me)).sequence;
  await assert.rejects(
    s.client.signAndBroadcast(
      s.me,
      [ol.msg("openledger.datanet.v1.MsgContribute", { contributor: s.me, datanet_id: "999", records })],
      "auto",
    ),
    /999|not found|unknown/i,
  );
  assert.equal((await s.client.getSequence(s.me)).sequence, seq);
});

test("licence contract and paid inference: SetTerms, CanInfer, MsgRequestInference escrowed", async () => {
  const ol = s.ol;
  const terms = {
    price_per_inference: "123456",
    subscription: null,
    allow_list_only: false,
    contributor_share_bps: 0,
  };
  const set = await s.wasm.execute(
    s.me,
    s.license,
    { set_terms: { adapter_id: Number(s.adapter), terms } },
    "auto",
  );
  assert.ok(set.transactionHash);
  const can = await s.wasm.queryContractSmart(s.license, {
    can_infer: { adapter_id: Number(s.adapter), user: s.them },
  });
  assert.deepEqual(can, { allowed: true, price: "123456" });
  // Only the owner sets terms: the contract's error comes back from simulation.
  const theirs = await SigningCosmWasmClient.connectWithSigner(RPC, s.other, {
    gasPrice: wasmGasPrice,
  });
  await assert.rejects(
    theirs.execute(s.them, s.license, { set_terms: { adapter_id: Number(s.adapter), terms } }, "auto"),
    /owner|unauthori/i,
  );

  // The other account asks for an inference; its fee is the licence's price, escrowed.
  const client = await SigningStargateClient.connectWithSigner(RPC, s.other, {
    gasPrice,
    registry: ol.registry(),
  });
  const escrow = moduleAddress("attribution");
  const held = BigInt((await client.getBalance(escrow, DENOM)).amount);
  const tooLittle = ol.msg("openledger.attribution.v1.MsgRequestInference", {
    sender: s.them,
    adapter_id: s.adapter,
    prompt: "Who is paid?",
    max_tokens: 8,
    max_fee: { denom: DENOM, amount: "123455" },
  });
  await assert.rejects(client.signAndBroadcast(s.them, [tooLittle], "auto"), /fee|max/i);
  const r = await client.signAndBroadcast(
    s.them,
    [{ ...tooLittle, value: { ...tooLittle.value, max_fee: { denom: DENOM, amount: "200000" } } }],
    "auto",
  );
  assertIsDeliverTxSuccess(r);
  const answer = ol.response(r);
  assert.deepEqual(answer.fee, { denom: DENOM, amount: "123456" });
  const event = r.events.find((e) => e.type === "request_inference");
  assert.equal(event.attributes.find((a) => a.key === "request_id").value, answer.request_id);
  assert.equal(BigInt((await client.getBalance(escrow, DENOM)).amount) - held, 123456n);
  const { request } = await ol.query(s.q, "openledger.attribution.v1.Query/Request", {
    id: answer.request_id,
  });
  assert.equal(request.sender, s.them);
  assert.equal(request.status, "REQUEST_STATUS_PENDING");
  assert.equal(request.adapter_id, s.adapter);
  client.disconnect();
  theirs.disconnect();
});

test("teardown", () => {
  s.client?.disconnect();
  s.wasm?.disconnect();
  s.comet?.disconnect();
});
