//! An in-process chain for tests and benchmarks: the real state machine on RocksDB, driven
//! block by block without CometBFT, with funded accounts and signed `MsgSend`s.

use std::path::Path;
use std::sync::Arc;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use openledger_framework::store::Storage;
use openledger_framework::{Address, Coin, Coins, VoteInfo, pack_any};
use openledger_state_machine::ante::AnteConfig;
use openledger_state_machine::{App, AppCore, BlockInput, STORE_PREFIXES, TxOutcome};

use crate::client::sign_tx;

pub const CHAIN_ID: &str = "openledger-test-1";

pub struct Account {
    pub key: SigningKey,
    pub address: Address,
    pub number: u64,
    pub sequence: u64,
}

pub struct TestChain {
    pub app: App,
    pub accounts: Vec<Account>,
    pub height: u64,
    pub fees: Coins,
}

impl TestChain {
    /// Opens a store at `path` and runs genesis with `n` accounts of `balance` uopen each.
    /// Call from a plain thread (not an async task): the state machine blocks on store reads.
    pub fn new(
        rt: &tokio::runtime::Runtime,
        path: &Path,
        n: usize,
        balance: u128,
        ante: AnteConfig,
    ) -> anyhow::Result<Self> {
        Self::with_app_state(rt, path, n, balance, ante, serde_json::json!({}))
    }

    /// [`new`](Self::new), with the modules' genesis in `app_state` (an object by module name,
    /// e.g. `{"staking": {"params": …}}`) beside the accounts and balances.
    pub fn with_app_state(
        rt: &tokio::runtime::Runtime,
        path: &Path,
        n: usize,
        balance: u128,
        ante: AnteConfig,
        app_state: serde_json::Value,
    ) -> anyhow::Result<Self> {
        let storage = rt.block_on(Storage::open(path.to_path_buf(), STORE_PREFIXES))?;
        // The wasm module's compiled-module cache sits next to the database.
        let core = Arc::new(AppCore::new(storage, ante, &path.with_extension("wasm"))?);
        let mut app = App::new(core).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut accounts = Vec::with_capacity(n);
        let mut auth = Vec::new();
        let mut bank = Vec::new();
        for i in 0..n {
            // Deterministic keys: two chains built alike execute identical blocks.
            let seed = <sha2::Sha256 as sha2::Digest>::digest(
                format!("openledger-testkit-{i}").as_bytes(),
            );
            let key = SigningKey::from_slice(&seed).map_err(|e| anyhow::anyhow!("{e}"))?;
            let address = crate::client::keyring::address_of(&key)?;
            auth.push(serde_json::json!({
                "@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": address.to_bech32(),
                "account_number": i.to_string(),
                "sequence": "0"
            }));
            bank.push(serde_json::json!({"address": address.to_bech32(), "coins": [{"denom": "uopen", "amount": balance.to_string()}]}));
            accounts.push(Account {
                key,
                address,
                number: i as u64,
                sequence: 0,
            });
        }
        let mut genesis = match app_state {
            serde_json::Value::Object(m) => m,
            other => anyhow::bail!("app_state must be an object, got {other}"),
        };
        genesis.insert("auth".into(), serde_json::json!({"accounts": auth}));
        genesis.insert("bank".into(), serde_json::json!({"balances": bank}));
        let state = serde_json::to_vec(&genesis)?;
        app.init_chain(CHAIN_ID, 1, (1_700_000_000, 0), &state, 0)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut chain = Self {
            app,
            accounts,
            height: 0,
            fees: Coins::from_vec(vec![Coin::new(2500, "uopen")])?,
        };
        // Genesis is committed with the first block.
        chain.block(&[]);
        Ok(chain)
    }

    /// A signed send of `amount` uopen from account `from` to account `to`, using (and advancing)
    /// the sender's sequence.
    pub fn send(&mut self, from: usize, to: usize, amount: u128) -> Vec<u8> {
        let to_addr = self.accounts[to].address;
        let fees = self.fees.clone();
        let a = &mut self.accounts[from];
        let msg = MsgSend {
            from_address: a.address.to_bech32(),
            to_address: to_addr.to_bech32(),
            amount: vec![Coin::new(amount, "uopen").to_proto()],
        };
        let tx = sign_tx(
            &a.key,
            CHAIN_ID,
            a.number,
            a.sequence,
            vec![pack_any(&msg)],
            "",
            100_000,
            &fees,
        )
        .unwrap_or_else(|e| panic!("signing failed: {e}"));
        a.sequence += 1;
        tx
    }

    /// A signed tx of any messages from account `from`, using (and advancing) its sequence.
    pub fn tx(&mut self, from: usize, msgs: Vec<cosmrs::Any>, gas: u64) -> Vec<u8> {
        let fees = self.fees.clone();
        let a = &mut self.accounts[from];
        let tx = sign_tx(&a.key, CHAIN_ID, a.number, a.sequence, msgs, "", gas, &fees)
            .unwrap_or_else(|e| panic!("signing failed: {e}"));
        a.sequence += 1;
        tx
    }

    /// FinalizeBlock + Commit of one block.
    pub fn block(&mut self, txs: &[Vec<u8>]) -> Vec<TxOutcome> {
        self.block_with_hash(txs).0
    }

    /// [`block`](Self::block), also returning the block's app hash.
    pub fn block_with_hash(&mut self, txs: &[Vec<u8>]) -> (Vec<TxOutcome>, [u8; 32]) {
        self.block_with_commit(txs, None, Vec::new())
    }

    /// [`block_with_hash`](Self::block_with_hash) with the consensus information CometBFT
    /// would give: the proposer and who signed the previous block (`decided_last_commit`).
    pub fn block_with_commit(
        &mut self,
        txs: &[Vec<u8>],
        proposer: Option<Address>,
        last_commit: Vec<VoteInfo>,
    ) -> (Vec<TxOutcome>, [u8; 32]) {
        self.height += 1;
        let time = (1_700_000_000 + self.height as i64, 0);
        let input = BlockInput {
            proposer,
            last_commit,
            ..BlockInput::at(self.height, time)
        };
        let res = self
            .app
            .finalize_block(input, txs)
            .unwrap_or_else(|e| panic!("finalize: {e}"));
        self.app.commit().unwrap_or_else(|e| panic!("commit: {e}"));
        (res.outcomes, res.app_hash)
    }
}
