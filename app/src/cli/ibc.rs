//! `tx ibc-transfer`, `query ibc-transfer` and `query ibc`: ICS-20 transfers and the IBC state
//! a relayer works with, named as the Cosmos SDK names them.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use ibc_proto::cosmos::base::query::v1beta1::PageRequest;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client_pb;
use ibc_proto::ibc::core::connection::v1 as connection;
use openledger_framework::Coin;
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::common::{FromKey, QueryCtx, TxFlags, send_one, sender_of};
use crate::client::status;

/// The SDK's default relative timeouts: 1000 blocks of the counterparty, 10 minutes.
const DEFAULT_TIMEOUT_HEIGHT: &str = "0-1000";
const DEFAULT_TIMEOUT_NANOS: u64 = 600_000_000_000;

#[derive(Subcommand)]
pub enum IbcTransferTx {
    /// Send coins to another chain: `transfer <src-port> <src-channel> <receiver> <amount>`.
    ///
    /// Timeouts are relative (to the counterparty's latest height as our client of it knows
    /// it, and to now) unless `--absolute-timeouts`; `0-0` / `0` disable one of them.
    Transfer {
        src_port: String,
        src_channel: String,
        receiver: String,
        amount: String,
        /// `<revision>-<height>` on the counterparty.
        #[arg(long, default_value = DEFAULT_TIMEOUT_HEIGHT)]
        packet_timeout_height: String,
        /// Nanoseconds (Unix time when absolute).
        #[arg(long, default_value_t = DEFAULT_TIMEOUT_NANOS)]
        packet_timeout_timestamp: u64,
        #[arg(long)]
        absolute_timeouts: bool,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum IbcTransferQuery {
    /// Every voucher denom's trace (`ibc/<hash>` → path and base denom).
    DenomTraces,
    /// One trace, by hash or by `ibc/<hash>`.
    DenomTrace { hash: String },
    /// The hash of a trace (`transfer/channel-0/uopen`).
    DenomHash { trace: String },
    /// The escrow account of a channel.
    EscrowAddress { port: String, channel: String },
}

#[derive(Subcommand)]
pub enum IbcQuery {
    Client {
        #[command(subcommand)]
        cmd: ClientQuery,
    },
    Connection {
        #[command(subcommand)]
        cmd: ConnectionQuery,
    },
    Channel {
        #[command(subcommand)]
        cmd: ChannelQuery,
    },
}

#[derive(Subcommand)]
pub enum ClientQuery {
    /// Every light client on this chain.
    States,
    /// One client's state.
    State { client_id: String },
}

#[derive(Subcommand)]
pub enum ConnectionQuery {
    Connections,
    End { connection_id: String },
}

#[derive(Subcommand)]
pub enum ChannelQuery {
    Channels,
    End { port: String, channel: String },
}

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        key: Vec::new(),
        offset: 0,
        limit: 200,
        count_total: false,
        reverse: false,
    })
}

fn parse_height(s: &str) -> anyhow::Result<client_pb::Height> {
    let (rev, h) = s
        .split_once('-')
        .ok_or_else(|| anyhow!("height {s:?} is not <revision>-<height>"))?;
    Ok(client_pb::Height {
        revision_number: rev.parse().with_context(|| format!("height {s:?}"))?,
        revision_height: h.parse().with_context(|| format!("height {s:?}"))?,
    })
}

/// The counterparty's latest height as our client of it (the channel's) knows it.
async fn counterparty_height(
    ch: &Channel,
    port: &str,
    chan: &str,
) -> anyhow::Result<client_pb::Height> {
    let mut q = channel::query_client::QueryClient::new(ch.clone());
    let r = q
        .channel_client_state(channel::QueryChannelClientStateRequest {
            port_id: port.into(),
            channel_id: chan.into(),
        })
        .await
        .map_err(status)?
        .into_inner();
    let any = r
        .identified_client_state
        .and_then(|c| c.client_state)
        .ok_or_else(|| anyhow!("channel {chan} has no client state"))?;
    let cs = <ibc_proto::ibc::lightclients::tendermint::v1::ClientState as prost::Message>::decode(
        any.value.as_slice(),
    )?;
    cs.latest_height
        .ok_or_else(|| anyhow!("the client of {chan} has no latest height"))
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: IbcTransferTx) -> anyhow::Result<()> {
    match cmd {
        IbcTransferTx::Transfer {
            src_port,
            src_channel,
            receiver,
            amount,
            packet_timeout_height,
            packet_timeout_timestamp,
            absolute_timeouts,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let coin: Coin = amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
            let mut height = parse_height(&packet_timeout_height)?;
            let mut timestamp = packet_timeout_timestamp;
            let disabled = height.revision_number == 0 && height.revision_height == 0;
            if !absolute_timeouts {
                if !disabled {
                    let latest = rt.block_on(async {
                        let ch = crate::client::connect(&flags.grpc_addr).await?;
                        counterparty_height(&ch, &src_port, &src_channel).await
                    })?;
                    height = client_pb::Height {
                        revision_number: latest.revision_number,
                        revision_height: latest.revision_height + height.revision_height,
                    };
                }
                if timestamp != 0 {
                    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
                    timestamp += u64::try_from(now)?;
                }
            }
            if disabled && timestamp == 0 {
                bail!("a transfer needs a timeout height or a timeout timestamp");
            }
            let msg = transfer::MsgTransfer {
                source_port: src_port,
                source_channel: src_channel.clone(),
                token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                    denom: coin.denom.clone(),
                    amount: coin.amount.to_string(),
                }),
                sender: crate::client::keyring::address_of(&sender.key)?.to_bech32(),
                receiver: receiver.clone(),
                timeout_height: (!disabled).then_some(height),
                timeout_timestamp: timestamp,
                memo: flags.memo.clone(),
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("transfer {coin} over {src_channel} to {receiver}"),
                &msg,
            )
        }
    }
}

fn trace_json(t: &transfer::DenomTrace) -> Value {
    json!({"path": t.path, "base_denom": t.base_denom})
}

pub async fn transfer_query(q: &QueryCtx, cmd: IbcTransferQuery) -> anyhow::Result<Value> {
    let mut c = transfer::query_client::QueryClient::new(q.channel().await?);
    Ok(match cmd {
        IbcTransferQuery::DenomTraces => {
            let r = c
                .denom_traces(transfer::QueryDenomTracesRequest { pagination: page() })
                .await
                .map_err(status)?
                .into_inner();
            json!({"denom_traces": r.denom_traces.iter().map(trace_json).collect::<Vec<_>>()})
        }
        IbcTransferQuery::DenomTrace { hash } => {
            let r = c
                .denom_trace(transfer::QueryDenomTraceRequest { hash })
                .await
                .map_err(status)?
                .into_inner();
            json!({"denom_trace": r.denom_trace.as_ref().map(trace_json)})
        }
        IbcTransferQuery::DenomHash { trace } => {
            let r = c
                .denom_hash(transfer::QueryDenomHashRequest { trace })
                .await
                .map_err(status)?
                .into_inner();
            json!({"hash": r.hash})
        }
        IbcTransferQuery::EscrowAddress { port, channel } => {
            let r = c
                .escrow_address(transfer::QueryEscrowAddressRequest {
                    port_id: port,
                    channel_id: channel,
                })
                .await
                .map_err(status)?
                .into_inner();
            json!({"escrow_address": r.escrow_address})
        }
    })
}

fn height_json(h: Option<&client_pb::Height>) -> Value {
    h.map_or(Value::Null, |h| {
        json!({"revision_number": h.revision_number.to_string(), "revision_height": h.revision_height.to_string()})
    })
}

/// A client state as JSON: the Tendermint fields a user looks at.
fn client_state_json(any: Option<&ibc_proto::google::protobuf::Any>) -> anyhow::Result<Value> {
    let Some(any) = any else {
        return Ok(Value::Null);
    };
    let cs = <ibc_proto::ibc::lightclients::tendermint::v1::ClientState as prost::Message>::decode(
        any.value.as_slice(),
    )?;
    Ok(json!({
        "@type": any.type_url,
        "chain_id": cs.chain_id,
        "latest_height": height_json(cs.latest_height.as_ref()),
        "frozen_height": height_json(cs.frozen_height.as_ref()),
        "trusting_period": cs.trusting_period.map(|d| format!("{}s", d.seconds)),
        "unbonding_period": cs.unbonding_period.map(|d| format!("{}s", d.seconds)),
    }))
}

fn state_name(state: i32, names: &[&str]) -> String {
    usize::try_from(state)
        .ok()
        .and_then(|i| names.get(i))
        .map_or_else(|| state.to_string(), |s| s.to_string())
}

const CHANNEL_STATES: &[&str] = &[
    "STATE_UNINITIALIZED_UNSPECIFIED",
    "STATE_INIT",
    "STATE_TRYOPEN",
    "STATE_OPEN",
    "STATE_CLOSED",
];
const CONNECTION_STATES: &[&str] = &[
    "STATE_UNINITIALIZED_UNSPECIFIED",
    "STATE_INIT",
    "STATE_TRYOPEN",
    "STATE_OPEN",
];
const ORDERS: &[&str] = &["ORDER_NONE_UNSPECIFIED", "ORDER_UNORDERED", "ORDER_ORDERED"];

fn channel_json(
    port: &str,
    id: &str,
    state: i32,
    ordering: i32,
    counterparty: Option<&channel::Counterparty>,
    hops: &[String],
    version: &str,
) -> Value {
    json!({
        "port_id": port,
        "channel_id": id,
        "state": state_name(state, CHANNEL_STATES),
        "ordering": state_name(ordering, ORDERS),
        "counterparty": counterparty.map(|c| json!({"port_id": c.port_id, "channel_id": c.channel_id})),
        "connection_hops": hops,
        "version": version,
    })
}

fn connection_json(id: &str, c: &connection::ConnectionEnd) -> Value {
    json!({
        "id": id,
        "client_id": c.client_id,
        "state": state_name(c.state, CONNECTION_STATES),
        "counterparty": c.counterparty.as_ref().map(|cp| json!({"client_id": cp.client_id, "connection_id": cp.connection_id})),
        "delay_period": c.delay_period.to_string(),
    })
}

pub async fn ibc_query(q: &QueryCtx, cmd: IbcQuery) -> anyhow::Result<Value> {
    let ch = q.channel().await?;
    match cmd {
        IbcQuery::Client { cmd } => {
            let mut c = client_pb::query_client::QueryClient::new(ch);
            match cmd {
                ClientQuery::States => {
                    let r = c
                        .client_states(client_pb::QueryClientStatesRequest { pagination: page() })
                        .await
                        .map_err(status)?
                        .into_inner();
                    let states = r
                        .client_states
                        .iter()
                        .map(|s| {
                            Ok(json!({"client_id": s.client_id, "client_state": client_state_json(s.client_state.as_ref())?}))
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    Ok(json!({"client_states": states}))
                }
                ClientQuery::State { client_id } => {
                    let r = c
                        .client_state(client_pb::QueryClientStateRequest {
                            client_id: client_id.clone(),
                        })
                        .await
                        .map_err(status)?
                        .into_inner();
                    Ok(
                        json!({"client_id": client_id, "client_state": client_state_json(r.client_state.as_ref())?}),
                    )
                }
            }
        }
        IbcQuery::Connection { cmd } => {
            let mut c = connection::query_client::QueryClient::new(ch);
            match cmd {
                ConnectionQuery::Connections => {
                    let r = c
                        .connections(connection::QueryConnectionsRequest { pagination: page() })
                        .await
                        .map_err(status)?
                        .into_inner();
                    let list: Vec<Value> = r
                        .connections
                        .iter()
                        .map(|i| {
                            connection_json(
                                &i.id,
                                &connection::ConnectionEnd {
                                    client_id: i.client_id.clone(),
                                    versions: i.versions.clone(),
                                    state: i.state,
                                    counterparty: i.counterparty.clone(),
                                    delay_period: i.delay_period,
                                },
                            )
                        })
                        .collect();
                    Ok(json!({"connections": list}))
                }
                ConnectionQuery::End { connection_id } => {
                    let r = c
                        .connection(connection::QueryConnectionRequest {
                            connection_id: connection_id.clone(),
                        })
                        .await
                        .map_err(status)?
                        .into_inner();
                    let end = r
                        .connection
                        .ok_or_else(|| anyhow!("connection {connection_id} not found"))?;
                    Ok(json!({"connection": connection_json(&connection_id, &end)}))
                }
            }
        }
        IbcQuery::Channel { cmd } => {
            let mut c = channel::query_client::QueryClient::new(ch);
            match cmd {
                ChannelQuery::Channels => {
                    let r = c
                        .channels(channel::QueryChannelsRequest { pagination: page() })
                        .await
                        .map_err(status)?
                        .into_inner();
                    let list: Vec<Value> = r
                        .channels
                        .iter()
                        .map(|i| {
                            channel_json(
                                &i.port_id,
                                &i.channel_id,
                                i.state,
                                i.ordering,
                                i.counterparty.as_ref(),
                                &i.connection_hops,
                                &i.version,
                            )
                        })
                        .collect();
                    Ok(json!({"channels": list}))
                }
                ChannelQuery::End { port, channel } => {
                    let r = c
                        .channel(channel::QueryChannelRequest {
                            port_id: port.clone(),
                            channel_id: channel.clone(),
                        })
                        .await
                        .map_err(status)?
                        .into_inner();
                    let end = r
                        .channel
                        .ok_or_else(|| anyhow!("channel {channel} on {port} not found"))?;
                    Ok(json!({"channel": channel_json(
                        &port,
                        &channel,
                        end.state,
                        end.ordering,
                        end.counterparty.as_ref(),
                        &end.connection_hops,
                        &end.version,
                    )}))
                }
            }
        }
    }
}

#[derive(Subcommand)]
pub enum IbcCmd {
    /// The ICS-23 proof specs of this chain's store, as JSON for a relayer's configuration
    /// (Hermes' `proof_specs`): two JMT specs, the substore's and the main tree's.
    ProofSpecs,
}

pub fn run(cmd: IbcCmd) -> anyhow::Result<()> {
    match cmd {
        IbcCmd::ProofSpecs => {
            let spec = proof_spec_json(&openledger_framework::store::proof_spec())?;
            println!("{}", Value::Array(vec![spec.clone(), spec]));
            Ok(())
        }
    }
}

/// A proof spec in proto3 JSON (enum names, base64 bytes).
fn proof_spec_json(spec: &ics23::ProofSpec) -> anyhow::Result<Value> {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let hash = |h: i32| -> anyhow::Result<&'static str> {
        Ok(ics23::HashOp::try_from(h)
            .map_err(|_| anyhow!("unknown hash op {h}"))?
            .as_str_name())
    };
    let leaf = spec
        .leaf_spec
        .as_ref()
        .ok_or_else(|| anyhow!("proof spec without a leaf spec"))?;
    let inner = spec
        .inner_spec
        .as_ref()
        .ok_or_else(|| anyhow!("proof spec without an inner spec"))?;
    let length = ics23::LengthOp::try_from(leaf.length)
        .map_err(|_| anyhow!("unknown length op {}", leaf.length))?
        .as_str_name();
    Ok(json!({
        "leaf_spec": {
            "hash": hash(leaf.hash)?,
            "prehash_key": hash(leaf.prehash_key)?,
            "prehash_value": hash(leaf.prehash_value)?,
            "length": length,
            "prefix": b64(&leaf.prefix),
        },
        "inner_spec": {
            "child_order": inner.child_order,
            "child_size": inner.child_size,
            "min_prefix_length": inner.min_prefix_length,
            "max_prefix_length": inner.max_prefix_length,
            "empty_child": b64(&inner.empty_child),
            "hash": hash(inner.hash)?,
        },
        "max_depth": spec.max_depth,
        "min_depth": spec.min_depth,
        "prehash_key_before_comparison": spec.prehash_key_before_comparison,
    }))
}
