//! What the commands print: JSON or indented text, transactions in the Cosmos CLI's shape, and
//! the standard services' answers as the Cosmos SDK's CLI prints them (decimals, consensus keys).

use base64::Engine;
use clap::ValueEnum;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use prost::Message;
use serde_json::{Value, json};

use crate::client::event_attr;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// Prints `value` as JSON, or as indented `key: value` text.
pub fn print(value: &Value, json_output: bool) {
    if json_output {
        println!("{value}");
    } else {
        let mut out = String::new();
        text(value, 0, &mut out);
        print!("{out}");
    }
}

fn text(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) if !is_empty(v) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        text(v, indent + 1, out);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&format!("{pad}-\n"));
                text(item, indent + 1, out);
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
        other => other.to_string(),
    }
}

fn event_json(e: &tendermint_proto::v0_38::abci::Event) -> Value {
    json!({
        "type": e.r#type,
        "attributes": e.attributes.iter().map(|a| json!({"key": a.key, "value": a.value, "index": a.index})).collect::<Vec<_>>(),
    })
}

/// A `TxResponse` in the Cosmos CLI's JSON shape.
pub fn tx_response_json(r: &TxResponse) -> Value {
    json!({
        "height": r.height.to_string(),
        "txhash": r.txhash,
        "codespace": r.codespace,
        "code": r.code,
        "data": r.data,
        "raw_log": r.raw_log,
        "logs": [],
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "tx": null,
        "timestamp": r.timestamp,
        "events": r.events.iter().map(event_json).collect::<Vec<_>>(),
    })
}

pub fn coins_json(coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

/// What a successful tx made, for the text output: the code id of `wasm store`, the contract
/// address of `wasm instantiate`.
pub fn made(resp: &TxResponse) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if resp.code != 0 {
        return out;
    }
    if let Some(id) = event_attr(resp, "store_code", "code_id") {
        out.push(("code_id", id));
    }
    if let Some(checksum) = event_attr(resp, "store_code", "code_checksum") {
        out.push(("checksum", checksum));
    }
    if let Some(addr) = event_attr(resp, "instantiate", "_contract_address") {
        out.push(("contract_address", addr));
    }
    out
}

/// Any generated message as proto3 JSON (the shape `grpcurl` prints).
pub fn to_json<T: serde::Serialize>(v: &T) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(v)?)
}

/// Proto3 JSON with the proto field names (snake_case), as Cosmos CLIs print it.
pub fn proto_json<T: serde::Serialize>(v: &T) -> anyhow::Result<Value> {
    Ok(snake_case(serde_json::to_value(v)?))
}

pub fn snake_case(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut key = String::with_capacity(k.len() + 4);
                    for ch in k.chars() {
                        if ch.is_ascii_uppercase() {
                            key.push('_');
                            key.push(ch.to_ascii_lowercase());
                        } else {
                            key.push(ch);
                        }
                    }
                    (key, snake_case(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case).collect()),
        other => other,
    }
}

/// Rewrites the named fields, wherever they are, from the protobuf form of a `LegacyDec`
/// (atomics: the value × 10^18) to its decimal form (`0.100000000000000000`).
pub fn decimal_fields(v: &mut Value, names: &[&str]) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if names.contains(&k.as_str())
                    && let Value::String(s) = x
                    && let Ok(atomics) = s.parse::<u128>()
                {
                    *s = openledger_framework::Dec::from_atomics(atomics).to_string();
                } else {
                    decimal_fields(x, names);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| decimal_fields(x, names)),
        _ => {}
    }
}

/// Fields printed as decimals rather than their protobuf atomics.
const DEC_FIELDS: &[&str] = &[
    "rate",
    "max_rate",
    "max_change_rate",
    "delegator_shares",
    "shares",
    "shares_dst",
    "min_commission_rate",
    "community_tax",
    "base_proposer_reward",
    "bonus_proposer_reward",
    "inflation",
    "annual_provisions",
    "inflation_rate_change",
    "inflation_max",
    "inflation_min",
    "goal_bonded",
    "fraction",
];

/// A `LegacyDec` carried as bytes (the atomics as a decimal string), in decimal form.
pub fn bytes_dec(b: &[u8]) -> Option<String> {
    let atomics = std::str::from_utf8(b).ok()?.parse::<u128>().ok()?;
    Some(openledger_framework::Dec::from_atomics(atomics).to_string())
}

pub fn cosmos_json<T: serde::Serialize>(v: &T) -> anyhow::Result<Value> {
    let mut j = proto_json(v)?;
    decimal_fields(&mut j, DEC_FIELDS);
    consensus_keys(&mut j);
    Ok(j)
}

/// `consensus_pubkey` as the SDK prints it (`{"@type", "key"}`, what `comet show-validator`
/// prints) rather than a raw `Any`.
fn consensus_keys(v: &mut Value) {
    let b64 = base64::engine::general_purpose::STANDARD;
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "consensus_pubkey"
                    && let Some(ty) = x["type_url"].as_str().map(str::to_string)
                    && let Some(raw) = x["value"].as_str().and_then(|s| b64.decode(s).ok())
                    && let Ok(pk) =
                        cosmrs::proto::cosmos::crypto::ed25519::PubKey::decode(raw.as_slice())
                {
                    *x = json!({ "@type": ty, "key": b64.encode(pk.key) });
                } else {
                    consensus_keys(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(consensus_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_keys_print_as_show_validator_does() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let any = openledger_staking::types::encode_consensus_pubkey(&[7; 32]);
        let mut v = json!({"validators": [{"consensus_pubkey": {
            "type_url": any.type_url, "value": b64.encode(&any.value)}}]});
        consensus_keys(&mut v);
        assert_eq!(
            v["validators"][0]["consensus_pubkey"],
            json!({"@type": "/cosmos.crypto.ed25519.PubKey", "key": b64.encode([7u8; 32])})
        );
    }
}
