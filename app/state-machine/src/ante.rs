//! The ante pipeline, shared by CheckTx, Simulate and FinalizeBlock: decode, stateless checks,
//! chain-id, account number, sequence, `SIGN_MODE_DIRECT` secp256k1 signatures, minimum fee,
//! fee deduction and gas.

use std::collections::HashSet;

use cosmrs::proto::cosmos::crypto::secp256k1::PubKey as Secp256k1PubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw, mode_info};
use openledger_auth::{AuthKeeper, FEE_COLLECTOR};
use openledger_bank::BankKeeper;
use openledger_framework::coins::BASE_DENOM;
use openledger_framework::context::ExecMode;
use openledger_framework::decimal::DecCoin;
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coin, Coins, Ctx, Event, type_url};
use parking_lot::Mutex;
use prost::Message;
use sha2::{Digest, Sha256};

/// Largest transaction accepted, in bytes: room for an adapter's weights (8 MiB by default) on
/// chain. `init` sets CometBFT's `mempool.max_tx_bytes` to the same value.
pub const MAX_TX_BYTES: usize = 10 * 1024 * 1024;
/// Largest gas limit a transaction may ask for: publishing an 8 MiB adapter costs ~340M gas
/// (store writes at 30 gas per byte, tx bytes at 10).
pub const MAX_GAS_WANTED: u64 = 1_000_000_000;

/// A transaction decoded from its `TxRaw` bytes.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub signatures: Vec<Vec<u8>>,
    pub len: usize,
}

impl DecodedTx {
    pub fn decode(bytes: &[u8]) -> Result<Self, AbciError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(SdkError::TxTooLarge(format!(
                "tx is {} bytes, the maximum is {MAX_TX_BYTES}",
                bytes.len()
            ))
            .into());
        }
        if bytes.is_empty() {
            return Err(SdkError::TxDecode("empty tx".into()).into());
        }
        let raw =
            TxRaw::decode(bytes).map_err(|e| SdkError::TxDecode(format!("invalid TxRaw: {e}")))?;
        let body = TxBody::decode(raw.body_bytes.as_slice())
            .map_err(|e| SdkError::TxDecode(format!("invalid TxBody: {e}")))?;
        let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
            .map_err(|e| SdkError::TxDecode(format!("invalid AuthInfo: {e}")))?;
        Ok(Self {
            body_bytes: raw.body_bytes,
            auth_info_bytes: raw.auth_info_bytes,
            body,
            auth_info,
            signatures: raw.signatures,
            len: bytes.len(),
        })
    }

    pub fn gas_limit(&self) -> u64 {
        self.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit)
    }

    pub fn fee(&self) -> Result<Coins, AbciError> {
        let fee = self
            .auth_info
            .fee
            .as_ref()
            .map(|f| f.amount.as_slice())
            .unwrap_or(&[]);
        Coins::from_proto(fee).map_err(|e| e.into())
    }

    /// `SIGN_MODE_DIRECT` sign bytes for the given signer's account number.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: self.body_bytes.clone(),
            auth_info_bytes: self.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }
}

/// The tx hash CometBFT and explorers use: upper-case hex of sha256 of the raw bytes.
pub fn tx_hash(bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(bytes))
}

/// Signatures this node has already verified (in CheckTx, or in FinalizeBlock's parallel
/// pre-pass), keyed by a hash of (public key, sign bytes, signature). Verification is a pure
/// function, so a hit is as good as a fresh check.
#[derive(Default)]
pub struct SigCache {
    verified: Mutex<HashSet<[u8; 32]>>,
}

const SIG_CACHE_ENTRIES: usize = 200_000;

impl SigCache {
    fn key(pubkey: &[u8], sign_bytes: &[u8], sig: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((pubkey.len() as u32).to_be_bytes());
        h.update(pubkey);
        h.update((sign_bytes.len() as u32).to_be_bytes());
        h.update(sign_bytes);
        h.update(sig);
        h.finalize().into()
    }

    /// Verifies (or finds already verified) a secp256k1 signature over sha256(sign_bytes).
    pub fn verify(&self, pubkey: &[u8], sign_bytes: &[u8], sig: &[u8]) -> bool {
        let key = Self::key(pubkey, sign_bytes, sig);
        if self.verified.lock().contains(&key) {
            return true;
        }
        let ok = verify_secp256k1(pubkey, sign_bytes, sig);
        if ok {
            let mut set = self.verified.lock();
            if set.len() >= SIG_CACHE_ENTRIES {
                set.clear();
            }
            set.insert(key);
        }
        ok
    }
}

/// libsecp256k1 verification (low-S enforced, as the Cosmos SDK requires).
pub fn verify_secp256k1(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(pk) = secp256k1::PublicKey::from_slice(pubkey) else {
        return false;
    };
    let Ok(sig) = secp256k1::ecdsa::Signature::from_compact(sig) else {
        return false;
    };
    let digest: [u8; 32] = Sha256::digest(msg).into();
    let msg = secp256k1::Message::from_digest(digest);
    secp256k1::SECP256K1.verify_ecdsa(&msg, &sig, &pk).is_ok()
}

/// Node-local ante settings.
#[derive(Debug, Clone, Default)]
pub struct AnteConfig {
    /// `minimum-gas-prices` from app.toml; enforced in CheckTx only, as in the SDK.
    pub min_gas_prices: Vec<DecCoin>,
}

/// Stateless checks (no state needed), run before anything reads state or charges gas. In
/// Clients simulate with no fee and then pay one, so a simulation without a fee is charged the
/// gas of deducting one: one base unit of the fee denom moves to the fee collector in the
/// simulation's throw-away state, its events dropped. The Cosmos SDK skips the deduction and
/// leaves the gap to the client's gas adjustment, but here the two balance writes are a third
/// of a send's gas, more than cosmjs' "auto" (simulated gas × 1.4) covers. A payer without that
/// unit is not charged (its tx is free or fails for want of a fee anyway).
fn charge_fee_deduction(
    ctx: &mut Ctx<'_>,
    bank: &BankKeeper,
    config: &AnteConfig,
    payer: &Address,
) -> Result<(), AbciError> {
    let denom = config
        .min_gas_prices
        .first()
        .map_or(BASE_DENOM, |p| p.denom.as_str())
        .to_string();
    if bank.balance(ctx, payer, &denom)? == 0 {
        return Ok(());
    }
    let events = ctx.events.len();
    let one = Coins::from_vec(vec![Coin::new(1, denom)])?;
    bank.send_to_module(ctx, payer, FEE_COLLECTOR, &one)?;
    ctx.events.truncate(events);
    Ok(())
}

/// Simulate a gas limit of 0 is allowed (the SDK's: simulation runs on an infinite meter, and
/// cosmjs, Keplr and the SDK CLI simulate with gas 0 to learn the gas).
pub fn check_stateless(tx: &DecodedTx, mode: ExecMode) -> Result<(), AbciError> {
    if tx.body.messages.is_empty() {
        return Err(SdkError::InvalidRequest("must contain at least one message".into()).into());
    }
    if tx.signatures.is_empty() {
        return Err(SdkError::NoSignatures.into());
    }
    if tx.signatures.len() != tx.auth_info.signer_infos.len() {
        return Err(SdkError::Unauthorized(format!(
            "wrong number of signatures; expected {}, got {}",
            tx.auth_info.signer_infos.len(),
            tx.signatures.len()
        ))
        .into());
    }
    let gas = tx.gas_limit();
    if (gas == 0 && mode != ExecMode::Simulate) || gas > MAX_GAS_WANTED {
        return Err(SdkError::InvalidGasLimit(format!(
            "gas limit {gas} must be in 1..={MAX_GAS_WANTED}"
        ))
        .into());
    }
    tx.fee()?;
    if !tx.body.extension_options.is_empty() {
        return Err(SdkError::InvalidRequest("unknown extension options".into()).into());
    }
    Ok(())
}

/// The stateful part of the ante pipeline. `signers` come from the messages' stateless checks.
#[allow(clippy::too_many_arguments)]
pub fn run(
    ctx: &mut Ctx<'_>,
    tx: &DecodedTx,
    signers: &[Address],
    auth: &AuthKeeper,
    bank: &BankKeeper,
    config: &AnteConfig,
    sigs: &SigCache,
) -> Result<(), AbciError> {
    check_stateless(tx, ctx.mode)?;
    let params = auth.params(ctx)?;
    let max_memo = params.max_memo_characters;
    if tx.body.memo.chars().count() as u64 > max_memo {
        return Err(SdkError::MemoTooLarge(format!(
            "maximum number of characters is {max_memo} but received {} characters",
            tx.body.memo.chars().count()
        ))
        .into());
    }
    if tx.body.timeout_height != 0 && ctx.block.height > tx.body.timeout_height {
        return Err(SdkError::TxTimeoutHeight(format!(
            "block height {} is past the tx's timeout height {}",
            ctx.block.height, tx.body.timeout_height
        ))
        .into());
    }
    if signers.len() != tx.auth_info.signer_infos.len() {
        return Err(SdkError::Unauthorized(format!(
            "wrong number of signers; expected {}, got {}",
            signers.len(),
            tx.auth_info.signer_infos.len()
        ))
        .into());
    }
    if signers.len() as u64 > params.tx_sig_limit {
        return Err(SdkError::TooManySignatures(format!(
            "{} > {}",
            signers.len(),
            params.tx_sig_limit
        ))
        .into());
    }
    ctx.gas
        .consume(params.tx_size_cost_per_byte * tx.len as u64, "txSize")?;

    // Fee: at least gas limit × minimum gas price (CheckTx only), paid by the first signer.
    let fee = tx.fee()?;
    if matches!(ctx.mode, ExecMode::Check) && !config.min_gas_prices.is_empty() {
        let gas = tx.gas_limit() as u128;
        let mut satisfied = false;
        let mut required = Vec::new();
        for price in &config.min_gas_prices {
            let need = price.amount.mul_int_ceil(gas).unwrap_or(u128::MAX);
            required.push(format!("{need}{}", price.denom));
            if fee.amount_of(&price.denom) >= need {
                satisfied = true;
            }
        }
        if !satisfied {
            return Err(SdkError::InsufficientFee(format!(
                "insufficient fees; got: {fee} required: {}",
                required.join(",")
            ))
            .into());
        }
    }
    let payer = match tx
        .auth_info
        .fee
        .as_ref()
        .map(|f| f.payer.as_str())
        .unwrap_or("")
    {
        "" => signers[0],
        p => {
            let p = Address::from_bech32(p)?;
            if !signers.contains(&p) {
                return Err(SdkError::InvalidRequest("fee payer must sign the tx".into()).into());
            }
            p
        }
    };
    if tx
        .auth_info
        .fee
        .as_ref()
        .is_some_and(|f| !f.granter.is_empty())
    {
        return Err(SdkError::InvalidRequest("fee grants are not supported".into()).into());
    }
    if auth.account(ctx, &payer)?.is_none() {
        return Err(
            SdkError::UnknownAddress(format!("fee payer address: {payer} does not exist")).into(),
        );
    }
    if !fee.is_empty() {
        bank.send_to_module(ctx, &payer, FEE_COLLECTOR, &fee)
            .map_err(|e| e.context("failed to deduct fees"))?;
        ctx.emit(
            Event::new("tx")
                .attr("fee", fee.to_string())
                .attr("fee_payer", payer.to_bech32()),
        );
    } else if ctx.mode == ExecMode::Simulate {
        charge_fee_deduction(ctx, bank, config, &payer)?;
    }

    // Signatures, sequences.
    let chain_id = ctx.block.chain_id.clone();
    for (i, signer) in signers.iter().enumerate() {
        let info = &tx.auth_info.signer_infos[i];
        let mut account = auth
            .account(ctx, signer)?
            .ok_or_else(|| SdkError::UnknownAddress(format!("account {signer} does not exist")))?;
        let pubkey = match (&account.pub_key, &info.public_key) {
            (Some(pk), _) => pk.clone(),
            (None, Some(any)) => {
                if any.type_url != type_url::<Secp256k1PubKey>() {
                    return Err(SdkError::InvalidPubKey(format!(
                        "unsupported key type {}",
                        any.type_url
                    ))
                    .into());
                }
                let pk = Secp256k1PubKey::decode(any.value.as_slice())
                    .map_err(|e| SdkError::InvalidPubKey(e.to_string()))?
                    .key;
                if Address::from_secp256k1(&pk)? != *signer {
                    return Err(SdkError::InvalidPubKey(format!(
                        "pubkey does not match signer address {signer}"
                    ))
                    .into());
                }
                account.pub_key = Some(pk.clone());
                pk
            }
            (None, None) if ctx.mode == ExecMode::Simulate => Vec::new(),
            (None, None) => {
                return Err(SdkError::InvalidPubKey(format!(
                    "pubkey on account {signer} is not set"
                ))
                .into());
            }
        };
        if info.sequence != account.sequence {
            return Err(SdkError::WrongSequence(format!(
                "account sequence mismatch, expected {}, got {}",
                account.sequence, info.sequence
            ))
            .into());
        }
        // Clients simulate before they sign: an empty signature per signer, and a sign mode that
        // may be unset (cosmjs sends SIGN_MODE_UNSPECIFIED). Such a signer is not verified.
        let unsigned_simulation = ctx.mode == ExecMode::Simulate && tx.signatures[i].is_empty();
        match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
            Some(mode_info::Sum::Single(s))
                if s.mode == SignMode::Direct as i32 || unsigned_simulation => {}
            _ => {
                return Err(SdkError::Unauthorized(
                    "only SIGN_MODE_DIRECT single signatures are supported".into(),
                )
                .into());
            }
        }
        ctx.gas
            .consume(params.sig_verify_cost_secp256k1, "ante verify: secp256k1")?;
        if !unsigned_simulation {
            // Gentxs are signed before account numbers exist: 0, as in the Cosmos SDK.
            let account_number = if ctx.mode == ExecMode::Genesis {
                0
            } else {
                account.account_number
            };
            let sign_bytes = tx.sign_bytes(&chain_id, account_number);
            if !sigs.verify(&pubkey, &sign_bytes, &tx.signatures[i]) {
                return Err(SdkError::Unauthorized(format!(
                    "signature verification failed; please verify account number ({}), sequence ({}) and chain-id ({chain_id})",
                    account_number, account.sequence
                ))
                .into());
            }
        }
        ctx.emit(Event::new("tx").attr("acc_seq", format!("{signer}/{}", account.sequence)));
        account.sequence += 1;
        auth.set_account(ctx, &account)?;
    }
    Ok(())
}
