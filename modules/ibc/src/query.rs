//! The IBC query services (`ibc.core.client/connection/channel.v1.Query`,
//! `ibc.applications.transfer.v1.Query`), answered from a state snapshot.
//!
//! They follow ibc-go v8's gRPC handlers. Like those, they leave `proof` empty: a relayer that
//! needs a proof asks ABCI `store/ibc/key` with `prove`, which the node answers with the store's
//! ICS-23 proofs. A handler sees the state and not its height, so `proof_height` (and the
//! `height` of the list answers) is left unset.
//!
//! Lists are in identifier order, numbers compared as numbers (`channel-2` before
//! `channel-10`, sequence 2 before 10), and their pagination keys are opaque strings of that
//! order.

use std::fmt::Display;
use std::str::FromStr;

use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest as SdkPageRequest;
use ibc::apps::transfer::types::PrefixedDenom;
use ibc::clients::tendermint::types::{TENDERMINT_CLIENT_STATE_TYPE_URL, TENDERMINT_CLIENT_TYPE};
use ibc::core::host::types::identifiers::{ChannelId, ClientId, ConnectionId, PortId, Sequence};
use ibc::core::host::types::path::{
    AckPath, CHANNEL_PREFIX, ChannelEndPath, ClientConnectionPath, ClientConsensusStatePath,
    ClientStatePath, CommitmentPath, ConnectionPath, PORT_PREFIX, ReceiptPath, SeqRecvPath,
    SeqSendPath,
};
use ibc::primitives::proto::Any;
use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use ibc_proto::ibc::applications::transfer::v1 as pb_transfer;
use ibc_proto::ibc::core::channel::v1 as pb_channel;
use ibc_proto::ibc::core::client::v1 as pb_client;
use ibc_proto::ibc::core::connection::v1 as pb_connection;
use ibc_proto::ibc::lightclients::tendermint::v1::ClientState as RawTmClientState;
use openledger_framework::coins::{parse_amount, validate_denom};
use openledger_framework::error::SdkError;
use openledger_framework::pagination::paginate;
use openledger_framework::{AbciError, KvRead, QueryRouter};
use prost::Message;

use crate::{IbcError, host, keys, transfer};

type QResult<T> = Result<T, AbciError>;

// --- errors and plumbing ---

/// An identifier, sequence or height in the request that cannot be one.
fn invalid(what: impl Display) -> AbciError {
    SdkError::InvalidRequest(what.to_string()).into()
}

/// What the request names and the state does not hold (gRPC `NotFound`).
fn not_found(what: impl Display) -> AbciError {
    SdkError::KeyNotFound(what.to_string()).into()
}

fn corrupt(key: &str, e: impl Display) -> AbciError {
    IbcError::Corrupt(format!("{key}: {e}")).into()
}

/// Parses an identifier of the request with its ibc-rs type.
fn parse_id<T>(what: &str, s: &str) -> QResult<T>
where
    T: FromStr,
    T::Err: Display,
{
    s.parse()
        .map_err(|e| invalid(format!("invalid {what} {s:?}: {e}")))
}

/// The port and channel a request names.
fn port_channel(port_id: &str, channel_id: &str) -> QResult<(PortId, ChannelId)> {
    Ok((
        parse_id("port id", port_id)?,
        parse_id("channel id", channel_id)?,
    ))
}

/// A packet sequence of the request; sequences start at 1.
fn packet_sequence(seq: u64) -> QResult<Sequence> {
    if seq == 0 {
        return Err(invalid("packet sequence cannot be 0"));
    }
    Ok(Sequence::from(seq))
}

fn decode<M: Message + Default>(key: &str, bytes: &[u8]) -> QResult<M> {
    M::decode(bytes).map_err(|e| corrupt(key, e))
}

/// The protobuf value at `key`, if any.
fn read<M: Message + Default>(s: &dyn KvRead, key: &str) -> QResult<Option<M>> {
    s.get(key)?.map(|b| decode(key, &b)).transpose()
}

/// The protobuf value at `key`; `NotFound` with `what()` when there is none.
fn require<M: Message + Default>(
    s: &dyn KvRead,
    key: &str,
    what: impl FnOnce() -> String,
) -> QResult<M> {
    read(s, key)?.ok_or_else(|| not_found(what()))
}

/// A sequence counter as ibc-go stores it: 8 bytes big-endian.
fn read_u64(s: &dyn KvRead, key: &str) -> QResult<Option<u64>> {
    s.get(key)?
        .map(|b| {
            <[u8; 8]>::try_from(b.as_slice())
                .map(u64::from_be_bytes)
                .map_err(|_| corrupt(key, "not an 8-byte integer"))
        })
        .transpose()
}

/// The height a query was answered at: unknown to the handler (see the module docs).
fn query_height() -> Option<pb_client::Height> {
    None
}

// --- pagination ---

/// A pagination key that orders `<prefix>-<n>` identifiers by prefix, then by `n` as a
/// number. Other identifiers keep their own text; a space cannot occur in an identifier, so
/// no two identifiers share a key.
fn id_order_key(id: &str) -> String {
    if let Some((prefix, n)) = id.rsplit_once('-')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && (n == "0" || !n.starts_with('0'))
        && let Ok(n) = n.parse::<u64>()
    {
        return format!("{prefix} {n:020}");
    }
    id.to_string()
}

/// The pagination key of a packet sequence.
fn sequence_order_key(seq: u64) -> String {
    format!("{seq:020}")
}

/// Sorts `items` by key and applies `page` (ibc-go's `PageRequest`) to them with the
/// framework's paginator.
fn page<T>(
    mut items: Vec<(String, T)>,
    page: Option<&PageRequest>,
) -> QResult<(Vec<T>, Option<PageResponse>)> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let request = page.map(|p| SdkPageRequest {
        key: p.key.clone(),
        offset: p.offset,
        limit: p.limit,
        count_total: p.count_total,
        reverse: p.reverse,
    });
    let (out, resp) = paginate(items, request.as_ref())?;
    Ok((
        out,
        Some(PageResponse {
            next_key: resp.next_key,
            total: resp.total,
        }),
    ))
}

// --- clients ---

fn client_state_key(client_id: &ClientId) -> String {
    keys::path(ClientStatePath::new(client_id.clone()))
}

/// The client state of `client_id`, as stored (a Tendermint `ClientState` in an `Any`).
fn client_state_any(s: &dyn KvRead, client_id: &ClientId) -> QResult<Any> {
    require(s, &client_state_key(client_id), || {
        format!("client {client_id} not found")
    })
}

fn identified_client_state(
    s: &dyn KvRead,
    client_id: &ClientId,
) -> QResult<pb_client::IdentifiedClientState> {
    Ok(pb_client::IdentifiedClientState {
        client_id: client_id.to_string(),
        client_state: Some(client_state_any(s, client_id)?),
    })
}

/// The Tendermint client state inside a stored `Any`.
fn tendermint_client_state(key: &str, any: &Any) -> QResult<RawTmClientState> {
    if any.type_url != TENDERMINT_CLIENT_STATE_TYPE_URL {
        return Err(corrupt(
            key,
            format!("unexpected client state type {}", any.type_url),
        ));
    }
    decode(key, &any.value)
}

/// The consensus state of `client_id` at `revision_number-revision_height`, as stored.
fn consensus_state_any(
    s: &dyn KvRead,
    client_id: &ClientId,
    revision_number: u64,
    revision_height: u64,
) -> QResult<Any> {
    let path = ClientConsensusStatePath::new(client_id.clone(), revision_number, revision_height);
    require(s, &keys::path(&path), || {
        format!(
            "client {client_id} has no consensus state at height {revision_number}-{revision_height}"
        )
    })
}

/// A consensus height of a request; height 0 names none.
fn consensus_height(revision_number: u64, revision_height: u64) -> QResult<(u64, u64)> {
    if revision_height == 0 {
        return Err(invalid("consensus state height cannot be 0"));
    }
    Ok((revision_number, revision_height))
}

/// The latest height of a client, from its client state.
fn latest_height(s: &dyn KvRead, client_id: &ClientId) -> QResult<pb_client::Height> {
    let key = client_state_key(client_id);
    let cs = tendermint_client_state(&key, &client_state_any(s, client_id)?)?;
    cs.latest_height
        .ok_or_else(|| corrupt(&key, "client state without latest height"))
}

/// The heights of a client's consensus states with their pagination keys (the height index's
/// keys, which sort in height order).
fn consensus_heights(
    s: &dyn KvRead,
    client_id: &ClientId,
) -> QResult<Vec<(String, pb_client::Height)>> {
    let prefix = keys::consensus_heights(client_id);
    s.prefix(&prefix)?
        .into_iter()
        .map(|(key, value)| {
            let h = std::str::from_utf8(&value)
                .map_err(|e| corrupt(&key, e))?
                .parse::<ibc::core::client::types::Height>()
                .map_err(|e| corrupt(&key, e))?;
            let order = key[prefix.len()..].to_string();
            Ok((order, pb_client::Height::from(h)))
        })
        .collect()
}

/// A client exists and its state is checked before anything is read under it, so an unknown
/// client is `NotFound` rather than an empty list.
fn known_client(s: &dyn KvRead, client_id: &str) -> QResult<ClientId> {
    let id: ClientId = parse_id("client id", client_id)?;
    if s.get(&client_state_key(&id))?.is_none() {
        return Err(not_found(format!("client {id} not found")));
    }
    Ok(id)
}

/// ibc-go's client status: `Frozen` once misbehaviour froze it, `Expired` without a consensus
/// state at its latest height, else `Active`. Expiry by time (the latest consensus state older
/// than the trusting period) needs the block time, which a handler does not see; a relayer
/// checks it against its own clock before it updates the client.
fn client_status(s: &dyn KvRead, client_id: &ClientId) -> QResult<&'static str> {
    let key = client_state_key(client_id);
    let cs = tendermint_client_state(&key, &client_state_any(s, client_id)?)?;
    if cs
        .frozen_height
        .is_some_and(|h| h.revision_number != 0 || h.revision_height != 0)
    {
        return Ok("Frozen");
    }
    let latest = cs
        .latest_height
        .ok_or_else(|| corrupt(&key, "client state without latest height"))?;
    let path = ClientConsensusStatePath::new(
        client_id.clone(),
        latest.revision_number,
        latest.revision_height,
    );
    if s.get(&keys::path(path))?.is_none() {
        return Ok("Expired");
    }
    Ok("Active")
}

fn q_client_state(
    s: &dyn KvRead,
    req: pb_client::QueryClientStateRequest,
) -> QResult<pb_client::QueryClientStateResponse> {
    let id: ClientId = parse_id("client id", &req.client_id)?;
    Ok(pb_client::QueryClientStateResponse {
        client_state: Some(client_state_any(s, &id)?),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_client_states(
    s: &dyn KvRead,
    req: pb_client::QueryClientStatesRequest,
) -> QResult<pb_client::QueryClientStatesResponse> {
    let prefix = keys::path(format!("{}/", ClientStatePath::prefix()));
    let leaf = format!("/{}", ClientStatePath::leaf());
    let mut items = Vec::new();
    for (key, bytes) in s.prefix(&prefix)? {
        let Some(id) = key[prefix.len()..].strip_suffix(&leaf) else {
            continue;
        };
        if id.contains('/') {
            continue;
        }
        let state = pb_client::IdentifiedClientState {
            client_id: id.to_string(),
            client_state: Some(decode(&key, &bytes)?),
        };
        items.push((id_order_key(id), state));
    }
    let (client_states, pagination) = page(items, req.pagination.as_ref())?;
    Ok(pb_client::QueryClientStatesResponse {
        client_states,
        pagination,
    })
}

fn q_consensus_state(
    s: &dyn KvRead,
    req: pb_client::QueryConsensusStateRequest,
) -> QResult<pb_client::QueryConsensusStateResponse> {
    let id: ClientId = parse_id("client id", &req.client_id)?;
    let (rev, h) = if req.latest_height {
        let latest = latest_height(s, &id)?;
        (latest.revision_number, latest.revision_height)
    } else {
        consensus_height(req.revision_number, req.revision_height)?
    };
    Ok(pb_client::QueryConsensusStateResponse {
        consensus_state: Some(consensus_state_any(s, &id, rev, h)?),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_consensus_states(
    s: &dyn KvRead,
    req: pb_client::QueryConsensusStatesRequest,
) -> QResult<pb_client::QueryConsensusStatesResponse> {
    let id = known_client(s, &req.client_id)?;
    let (heights, pagination) = page(consensus_heights(s, &id)?, req.pagination.as_ref())?;
    let consensus_states = heights
        .into_iter()
        .map(|h| {
            let path =
                ClientConsensusStatePath::new(id.clone(), h.revision_number, h.revision_height);
            let key = keys::path(&path);
            let state: Any = read(s, &key)?
                .ok_or_else(|| corrupt(&key, "an indexed consensus state is missing"))?;
            Ok(pb_client::ConsensusStateWithHeight {
                height: Some(h),
                consensus_state: Some(state),
            })
        })
        .collect::<QResult<_>>()?;
    Ok(pb_client::QueryConsensusStatesResponse {
        consensus_states,
        pagination,
    })
}

fn q_consensus_state_heights(
    s: &dyn KvRead,
    req: pb_client::QueryConsensusStateHeightsRequest,
) -> QResult<pb_client::QueryConsensusStateHeightsResponse> {
    let id = known_client(s, &req.client_id)?;
    let (consensus_state_heights, pagination) =
        page(consensus_heights(s, &id)?, req.pagination.as_ref())?;
    Ok(pb_client::QueryConsensusStateHeightsResponse {
        consensus_state_heights,
        pagination,
    })
}

fn q_client_status(
    s: &dyn KvRead,
    req: pb_client::QueryClientStatusRequest,
) -> QResult<pb_client::QueryClientStatusResponse> {
    let id: ClientId = parse_id("client id", &req.client_id)?;
    Ok(pb_client::QueryClientStatusResponse {
        status: client_status(s, &id)?.to_string(),
    })
}

fn q_client_params(
    _: &dyn KvRead,
    _: pb_client::QueryClientParamsRequest,
) -> QResult<pb_client::QueryClientParamsResponse> {
    Ok(pb_client::QueryClientParamsResponse {
        params: Some(pb_client::Params {
            allowed_clients: vec![TENDERMINT_CLIENT_TYPE.to_string()],
        }),
    })
}

// --- connections ---

fn connection_end(
    s: &dyn KvRead,
    connection_id: &ConnectionId,
) -> QResult<pb_connection::ConnectionEnd> {
    require(s, &keys::path(ConnectionPath::new(connection_id)), || {
        format!("connection {connection_id} not found")
    })
}

/// The client a connection is on.
fn connection_client(s: &dyn KvRead, connection_id: &ConnectionId) -> QResult<ClientId> {
    let end = connection_end(s, connection_id)?;
    end.client_id.parse().map_err(|e| {
        corrupt(
            &keys::path(ConnectionPath::new(connection_id)),
            format!("client id {:?}: {e}", end.client_id),
        )
    })
}

fn q_connection(
    s: &dyn KvRead,
    req: pb_connection::QueryConnectionRequest,
) -> QResult<pb_connection::QueryConnectionResponse> {
    let id: ConnectionId = parse_id("connection id", &req.connection_id)?;
    Ok(pb_connection::QueryConnectionResponse {
        connection: Some(connection_end(s, &id)?),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_connections(
    s: &dyn KvRead,
    req: pb_connection::QueryConnectionsRequest,
) -> QResult<pb_connection::QueryConnectionsResponse> {
    let prefix = keys::path(format!("{}/", ConnectionPath::prefix()));
    let mut items = Vec::new();
    for (key, bytes) in s.prefix(&prefix)? {
        let id = &key[prefix.len()..];
        if id.contains('/') {
            continue;
        }
        let end: pb_connection::ConnectionEnd = decode(&key, &bytes)?;
        let connection = pb_connection::IdentifiedConnection {
            id: id.to_string(),
            client_id: end.client_id,
            versions: end.versions,
            state: end.state,
            counterparty: end.counterparty,
            delay_period: end.delay_period,
        };
        items.push((id_order_key(id), connection));
    }
    let (connections, pagination) = page(items, req.pagination.as_ref())?;
    Ok(pb_connection::QueryConnectionsResponse {
        connections,
        pagination,
        height: query_height(),
    })
}

fn q_client_connections(
    s: &dyn KvRead,
    req: pb_connection::QueryClientConnectionsRequest,
) -> QResult<pb_connection::QueryClientConnectionsResponse> {
    let id: ClientId = parse_id("client id", &req.client_id)?;
    let paths: pb_connection::ClientPaths = require(
        s,
        &keys::path(ClientConnectionPath::new(id.clone())),
        || format!("client {id} has no connections"),
    )?;
    Ok(pb_connection::QueryClientConnectionsResponse {
        connection_paths: paths.paths,
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_connection_client_state(
    s: &dyn KvRead,
    req: pb_connection::QueryConnectionClientStateRequest,
) -> QResult<pb_connection::QueryConnectionClientStateResponse> {
    let id: ConnectionId = parse_id("connection id", &req.connection_id)?;
    let client_id = connection_client(s, &id)?;
    Ok(pb_connection::QueryConnectionClientStateResponse {
        identified_client_state: Some(identified_client_state(s, &client_id)?),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_connection_consensus_state(
    s: &dyn KvRead,
    req: pb_connection::QueryConnectionConsensusStateRequest,
) -> QResult<pb_connection::QueryConnectionConsensusStateResponse> {
    let id: ConnectionId = parse_id("connection id", &req.connection_id)?;
    let (rev, h) = consensus_height(req.revision_number, req.revision_height)?;
    let client_id = connection_client(s, &id)?;
    Ok(pb_connection::QueryConnectionConsensusStateResponse {
        consensus_state: Some(consensus_state_any(s, &client_id, rev, h)?),
        client_id: client_id.to_string(),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_connection_params(
    _: &dyn KvRead,
    _: pb_connection::QueryConnectionParamsRequest,
) -> QResult<pb_connection::QueryConnectionParamsResponse> {
    let nanos = u64::try_from(host::MAX_EXPECTED_TIME_PER_BLOCK.as_nanos()).unwrap_or(u64::MAX);
    Ok(pb_connection::QueryConnectionParamsResponse {
        params: Some(pb_connection::Params {
            max_expected_time_per_block: nanos,
        }),
    })
}

// --- channels ---

fn channel_key(port_id: &PortId, channel_id: &ChannelId) -> String {
    keys::path(ChannelEndPath::new(port_id, channel_id))
}

fn channel_end(
    s: &dyn KvRead,
    port_id: &PortId,
    channel_id: &ChannelId,
) -> QResult<pb_channel::Channel> {
    require(s, &channel_key(port_id, channel_id), || {
        format!("channel {channel_id} on port {port_id} not found")
    })
}

/// `NotFound` unless the channel exists (ibc-go's check before it lists a channel's packets).
fn require_channel(s: &dyn KvRead, port_id: &PortId, channel_id: &ChannelId) -> QResult<()> {
    if s.get(&channel_key(port_id, channel_id))?.is_none() {
        return Err(not_found(format!(
            "channel {channel_id} on port {port_id} not found"
        )));
    }
    Ok(())
}

fn identified_channel(
    port_id: &str,
    channel_id: &str,
    ch: pb_channel::Channel,
) -> pb_channel::IdentifiedChannel {
    pb_channel::IdentifiedChannel {
        state: ch.state,
        ordering: ch.ordering,
        counterparty: ch.counterparty,
        connection_hops: ch.connection_hops,
        version: ch.version,
        port_id: port_id.to_string(),
        channel_id: channel_id.to_string(),
        upgrade_sequence: ch.upgrade_sequence,
    }
}

/// Every channel end, with its pagination key (port, then channel number).
fn all_channels(s: &dyn KvRead) -> QResult<Vec<(String, pb_channel::IdentifiedChannel)>> {
    let prefix = keys::path(format!("{}/{PORT_PREFIX}/", ChannelEndPath::prefix()));
    let middle = format!("/{CHANNEL_PREFIX}/");
    let mut items = Vec::new();
    for (key, bytes) in s.prefix(&prefix)? {
        let Some((port, chan)) = key[prefix.len()..].split_once(&middle) else {
            continue;
        };
        if port.contains('/') || chan.contains('/') {
            continue;
        }
        let ch: pb_channel::Channel = decode(&key, &bytes)?;
        items.push((
            format!("{port}/{}", id_order_key(chan)),
            identified_channel(port, chan, ch),
        ));
    }
    Ok(items)
}

/// The client under a channel: that of its connection (`connection_hops[0]`).
fn channel_client(s: &dyn KvRead, port_id: &PortId, channel_id: &ChannelId) -> QResult<ClientId> {
    let ch = channel_end(s, port_id, channel_id)?;
    let key = channel_key(port_id, channel_id);
    let hop = ch
        .connection_hops
        .first()
        .ok_or_else(|| corrupt(&key, "channel without connection hops"))?;
    let connection_id: ConnectionId = hop
        .parse()
        .map_err(|e| corrupt(&key, format!("connection id {hop:?}: {e}")))?;
    connection_client(s, &connection_id)
}

/// The packet states (commitments or acknowledgements) stored under `prefix`, keyed by
/// sequence.
fn packet_states(
    s: &dyn KvRead,
    prefix: &str,
    port_id: &PortId,
    channel_id: &ChannelId,
) -> QResult<Vec<(String, pb_channel::PacketState)>> {
    s.prefix(prefix)?
        .into_iter()
        .map(|(key, data)| {
            let seq = key[prefix.len()..]
                .parse::<u64>()
                .map_err(|e| corrupt(&key, format!("sequence: {e}")))?;
            let state = pb_channel::PacketState {
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                sequence: seq,
                data,
            };
            Ok((sequence_order_key(seq), state))
        })
        .collect()
}

fn q_channel(
    s: &dyn KvRead,
    req: pb_channel::QueryChannelRequest,
) -> QResult<pb_channel::QueryChannelResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    Ok(pb_channel::QueryChannelResponse {
        channel: Some(channel_end(s, &port, &chan)?),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_channels(
    s: &dyn KvRead,
    req: pb_channel::QueryChannelsRequest,
) -> QResult<pb_channel::QueryChannelsResponse> {
    let (channels, pagination) = page(all_channels(s)?, req.pagination.as_ref())?;
    Ok(pb_channel::QueryChannelsResponse {
        channels,
        pagination,
        height: query_height(),
    })
}

fn q_connection_channels(
    s: &dyn KvRead,
    req: pb_channel::QueryConnectionChannelsRequest,
) -> QResult<pb_channel::QueryConnectionChannelsResponse> {
    let connection: ConnectionId = parse_id("connection id", &req.connection)?;
    let items = all_channels(s)?
        .into_iter()
        .filter(|(_, ch)| {
            ch.connection_hops
                .first()
                .is_some_and(|hop| hop.as_str() == connection.as_str())
        })
        .collect();
    let (channels, pagination) = page(items, req.pagination.as_ref())?;
    Ok(pb_channel::QueryConnectionChannelsResponse {
        channels,
        pagination,
        height: query_height(),
    })
}

fn q_channel_client_state(
    s: &dyn KvRead,
    req: pb_channel::QueryChannelClientStateRequest,
) -> QResult<pb_channel::QueryChannelClientStateResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let client_id = channel_client(s, &port, &chan)?;
    Ok(pb_channel::QueryChannelClientStateResponse {
        identified_client_state: Some(identified_client_state(s, &client_id)?),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_channel_consensus_state(
    s: &dyn KvRead,
    req: pb_channel::QueryChannelConsensusStateRequest,
) -> QResult<pb_channel::QueryChannelConsensusStateResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let (rev, h) = consensus_height(req.revision_number, req.revision_height)?;
    let client_id = channel_client(s, &port, &chan)?;
    Ok(pb_channel::QueryChannelConsensusStateResponse {
        consensus_state: Some(consensus_state_any(s, &client_id, rev, h)?),
        client_id: client_id.to_string(),
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_packet_commitment(
    s: &dyn KvRead,
    req: pb_channel::QueryPacketCommitmentRequest,
) -> QResult<pb_channel::QueryPacketCommitmentResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let seq = packet_sequence(req.sequence)?;
    let path = CommitmentPath::new(&port, &chan, seq);
    let commitment = s
        .get(&keys::path(&path))?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| not_found(format!("no packet commitment at {path}")))?;
    Ok(pb_channel::QueryPacketCommitmentResponse {
        commitment,
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_packet_commitments(
    s: &dyn KvRead,
    req: pb_channel::QueryPacketCommitmentsRequest,
) -> QResult<pb_channel::QueryPacketCommitmentsResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    require_channel(s, &port, &chan)?;
    let prefix = keys::path(format!(
        "{}/",
        ChannelEndPath::new(&port, &chan).commitments_path()
    ));
    let items = packet_states(s, &prefix, &port, &chan)?;
    let (commitments, pagination) = page(items, req.pagination.as_ref())?;
    Ok(pb_channel::QueryPacketCommitmentsResponse {
        commitments,
        pagination,
        height: query_height(),
    })
}

fn q_packet_receipt(
    s: &dyn KvRead,
    req: pb_channel::QueryPacketReceiptRequest,
) -> QResult<pb_channel::QueryPacketReceiptResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let seq = packet_sequence(req.sequence)?;
    let received = s
        .get(&keys::path(ReceiptPath::new(&port, &chan, seq)))?
        .is_some();
    Ok(pb_channel::QueryPacketReceiptResponse {
        received,
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_packet_acknowledgement(
    s: &dyn KvRead,
    req: pb_channel::QueryPacketAcknowledgementRequest,
) -> QResult<pb_channel::QueryPacketAcknowledgementResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let seq = packet_sequence(req.sequence)?;
    let path = AckPath::new(&port, &chan, seq);
    let acknowledgement = s
        .get(&keys::path(&path))?
        .filter(|a| !a.is_empty())
        .ok_or_else(|| not_found(format!("no packet acknowledgement at {path}")))?;
    Ok(pb_channel::QueryPacketAcknowledgementResponse {
        acknowledgement,
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

/// A channel's acknowledgements: those of the listed sequences (unpaginated) or, without a
/// list, one page of all of them.
fn q_packet_acknowledgements(
    s: &dyn KvRead,
    req: pb_channel::QueryPacketAcknowledgementsRequest,
) -> QResult<pb_channel::QueryPacketAcknowledgementsResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    require_channel(s, &port, &chan)?;
    if !req.packet_commitment_sequences.is_empty() {
        let mut acknowledgements = Vec::new();
        for &seq in &req.packet_commitment_sequences {
            let path = AckPath::new(&port, &chan, Sequence::from(seq));
            if let Some(data) = s.get(&keys::path(path))?.filter(|a| !a.is_empty()) {
                acknowledgements.push(pb_channel::PacketState {
                    port_id: port.to_string(),
                    channel_id: chan.to_string(),
                    sequence: seq,
                    data,
                });
            }
        }
        return Ok(pb_channel::QueryPacketAcknowledgementsResponse {
            acknowledgements,
            pagination: None,
            height: query_height(),
        });
    }
    let prefix = keys::path(format!(
        "{}/",
        ChannelEndPath::new(&port, &chan).acks_path()
    ));
    let items = packet_states(s, &prefix, &port, &chan)?;
    let (acknowledgements, pagination) = page(items, req.pagination.as_ref())?;
    Ok(pb_channel::QueryPacketAcknowledgementsResponse {
        acknowledgements,
        pagination,
        height: query_height(),
    })
}

/// Of the sequences a counterparty committed, those this chain has not received: without a
/// receipt on an unordered channel, at or above `nextSequenceRecv` on an ordered one.
fn q_unreceived_packets(
    s: &dyn KvRead,
    req: pb_channel::QueryUnreceivedPacketsRequest,
) -> QResult<pb_channel::QueryUnreceivedPacketsResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let ch = channel_end(s, &port, &chan)?;
    let mut sequences = Vec::new();
    match pb_channel::Order::try_from(ch.ordering) {
        Ok(pb_channel::Order::Unordered) => {
            for &seq in &req.packet_commitment_sequences {
                let path = ReceiptPath::new(&port, &chan, packet_sequence(seq)?);
                if s.get(&keys::path(path))?.is_none() {
                    sequences.push(seq);
                }
            }
        }
        Ok(pb_channel::Order::Ordered) => {
            let path = SeqRecvPath::new(&port, &chan);
            let next = read_u64(s, &keys::path(&path))?.ok_or_else(|| {
                not_found(format!(
                    "no next sequence receive for channel {chan} on port {port}"
                ))
            })?;
            for &seq in &req.packet_commitment_sequences {
                if packet_sequence(seq)?.value() >= next {
                    sequences.push(seq);
                }
            }
        }
        _ => {
            return Err(invalid(format!(
                "channel {chan} on port {port} has unsupported ordering {}",
                ch.ordering
            )));
        }
    }
    Ok(pb_channel::QueryUnreceivedPacketsResponse {
        sequences,
        height: query_height(),
    })
}

/// Of the sequences a counterparty acknowledged, those whose acknowledgement this chain has not
/// processed yet: their packet commitment is still here.
fn q_unreceived_acks(
    s: &dyn KvRead,
    req: pb_channel::QueryUnreceivedAcksRequest,
) -> QResult<pb_channel::QueryUnreceivedAcksResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    require_channel(s, &port, &chan)?;
    let mut sequences = Vec::new();
    for &seq in &req.packet_ack_sequences {
        let path = CommitmentPath::new(&port, &chan, packet_sequence(seq)?);
        if s.get(&keys::path(path))?.is_some_and(|c| !c.is_empty()) {
            sequences.push(seq);
        }
    }
    Ok(pb_channel::QueryUnreceivedAcksResponse {
        sequences,
        height: query_height(),
    })
}

fn q_next_sequence_receive(
    s: &dyn KvRead,
    req: pb_channel::QueryNextSequenceReceiveRequest,
) -> QResult<pb_channel::QueryNextSequenceReceiveResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let next = read_u64(s, &keys::path(SeqRecvPath::new(&port, &chan)))?.ok_or_else(|| {
        not_found(format!(
            "no next sequence receive for channel {chan} on port {port}"
        ))
    })?;
    Ok(pb_channel::QueryNextSequenceReceiveResponse {
        next_sequence_receive: next,
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

fn q_next_sequence_send(
    s: &dyn KvRead,
    req: pb_channel::QueryNextSequenceSendRequest,
) -> QResult<pb_channel::QueryNextSequenceSendResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    let next = read_u64(s, &keys::path(SeqSendPath::new(&port, &chan)))?.ok_or_else(|| {
        not_found(format!(
            "no next sequence send for channel {chan} on port {port}"
        ))
    })?;
    Ok(pb_channel::QueryNextSequenceSendResponse {
        next_sequence_send: next,
        proof: Vec::new(),
        proof_height: query_height(),
    })
}

/// `ibc.core.{client,connection,channel}.v1.Query`.
pub fn register_core(r: &mut QueryRouter) {
    const CLIENT: &str = "/ibc.core.client.v1.Query";
    r.add(&format!("{CLIENT}/ClientState"), q_client_state);
    r.add(&format!("{CLIENT}/ClientStates"), q_client_states);
    r.add(&format!("{CLIENT}/ConsensusState"), q_consensus_state);
    r.add(&format!("{CLIENT}/ConsensusStates"), q_consensus_states);
    r.add(
        &format!("{CLIENT}/ConsensusStateHeights"),
        q_consensus_state_heights,
    );
    r.add(&format!("{CLIENT}/ClientStatus"), q_client_status);
    r.add(&format!("{CLIENT}/ClientParams"), q_client_params);

    const CONNECTION: &str = "/ibc.core.connection.v1.Query";
    r.add(&format!("{CONNECTION}/Connection"), q_connection);
    r.add(&format!("{CONNECTION}/Connections"), q_connections);
    r.add(
        &format!("{CONNECTION}/ClientConnections"),
        q_client_connections,
    );
    r.add(
        &format!("{CONNECTION}/ConnectionClientState"),
        q_connection_client_state,
    );
    r.add(
        &format!("{CONNECTION}/ConnectionConsensusState"),
        q_connection_consensus_state,
    );
    r.add(
        &format!("{CONNECTION}/ConnectionParams"),
        q_connection_params,
    );

    const CHANNEL: &str = "/ibc.core.channel.v1.Query";
    r.add(&format!("{CHANNEL}/Channel"), q_channel);
    r.add(&format!("{CHANNEL}/Channels"), q_channels);
    r.add(
        &format!("{CHANNEL}/ConnectionChannels"),
        q_connection_channels,
    );
    r.add(
        &format!("{CHANNEL}/ChannelClientState"),
        q_channel_client_state,
    );
    r.add(
        &format!("{CHANNEL}/ChannelConsensusState"),
        q_channel_consensus_state,
    );
    r.add(&format!("{CHANNEL}/PacketCommitment"), q_packet_commitment);
    r.add(
        &format!("{CHANNEL}/PacketCommitments"),
        q_packet_commitments,
    );
    r.add(&format!("{CHANNEL}/PacketReceipt"), q_packet_receipt);
    r.add(
        &format!("{CHANNEL}/PacketAcknowledgement"),
        q_packet_acknowledgement,
    );
    r.add(
        &format!("{CHANNEL}/PacketAcknowledgements"),
        q_packet_acknowledgements,
    );
    r.add(
        &format!("{CHANNEL}/UnreceivedPackets"),
        q_unreceived_packets,
    );
    r.add(&format!("{CHANNEL}/UnreceivedAcks"), q_unreceived_acks);
    r.add(
        &format!("{CHANNEL}/NextSequenceReceive"),
        q_next_sequence_receive,
    );
    r.add(&format!("{CHANNEL}/NextSequenceSend"), q_next_sequence_send);
}

// --- transfer ---

/// The hash of a voucher denom in a request: `ibc/<hash>` or `<hash>`, 32 bytes of hex.
fn voucher_hash(denom: &str) -> QResult<&str> {
    let hash = denom.strip_prefix("ibc/").unwrap_or(denom);
    match hex::decode(hash) {
        Ok(bytes) if bytes.len() == 32 => Ok(hash),
        _ => Err(invalid(format!("invalid denom trace hash {denom:?}"))),
    }
}

fn q_denom_trace(
    mut s: &dyn KvRead,
    req: pb_transfer::QueryDenomTraceRequest,
) -> QResult<pb_transfer::QueryDenomTraceResponse> {
    let hash = voucher_hash(&req.hash)?;
    let trace = transfer::denom_trace(&mut s, hash)?
        .ok_or_else(|| not_found(format!("denomination trace not found: {}", req.hash)))?;
    Ok(pb_transfer::QueryDenomTraceResponse {
        denom_trace: Some(trace),
    })
}

fn q_denom_traces(
    s: &dyn KvRead,
    req: pb_transfer::QueryDenomTracesRequest,
) -> QResult<pb_transfer::QueryDenomTracesResponse> {
    let prefix = keys::denom_traces();
    let items = s
        .prefix(prefix)?
        .into_iter()
        .map(|(key, bytes)| {
            let trace: pb_transfer::DenomTrace = decode(&key, &bytes)?;
            Ok((key[prefix.len()..].to_string(), trace))
        })
        .collect::<QResult<Vec<_>>>()?;
    let (denom_traces, pagination) = page(items, req.pagination.as_ref())?;
    Ok(pb_transfer::QueryDenomTracesResponse {
        denom_traces,
        pagination,
    })
}

fn q_transfer_params(
    mut s: &dyn KvRead,
    _: pb_transfer::QueryParamsRequest,
) -> QResult<pb_transfer::QueryParamsResponse> {
    Ok(pb_transfer::QueryParamsResponse {
        params: Some(transfer::params(&mut s)?),
    })
}

/// The hash of a trace this chain knows (`transfer/channel-0/uopen` → the hash of its
/// `ibc/<hash>` voucher).
fn q_denom_hash(
    s: &dyn KvRead,
    req: pb_transfer::QueryDenomHashRequest,
) -> QResult<pb_transfer::QueryDenomHashResponse> {
    let denom = PrefixedDenom::from_str(&req.trace)
        .map_err(|e| invalid(format!("invalid denom trace {:?}: {e}", req.trace)))?;
    let hash = transfer::denom_hash(&denom.to_string());
    if s.get(&keys::denom_trace(&hash))?.is_none() {
        return Err(not_found(format!(
            "denomination trace not found: {}",
            req.trace
        )));
    }
    Ok(pb_transfer::QueryDenomHashResponse { hash })
}

fn q_escrow_address(
    s: &dyn KvRead,
    req: pb_transfer::QueryEscrowAddressRequest,
) -> QResult<pb_transfer::QueryEscrowAddressResponse> {
    let (port, chan) = port_channel(&req.port_id, &req.channel_id)?;
    require_channel(s, &port, &chan)?;
    Ok(pb_transfer::QueryEscrowAddressResponse {
        escrow_address: transfer::escrow_address(port.as_str(), chan.as_str()).to_bech32(),
    })
}

fn q_total_escrow_for_denom(
    s: &dyn KvRead,
    req: pb_transfer::QueryTotalEscrowForDenomRequest,
) -> QResult<pb_transfer::QueryTotalEscrowForDenomResponse> {
    validate_denom(&req.denom)?;
    let key = keys::total_escrow(&req.denom);
    let amount = match s.get(&key)? {
        None => 0,
        Some(bytes) => {
            let text = std::str::from_utf8(&bytes).map_err(|e| corrupt(&key, e))?;
            parse_amount(text).map_err(|e| corrupt(&key, e))?
        }
    };
    Ok(pb_transfer::QueryTotalEscrowForDenomResponse {
        amount: Some(ProtoCoin {
            denom: req.denom,
            amount: amount.to_string(),
        }),
    })
}

/// `ibc.applications.transfer.v1.Query`.
pub fn register_transfer(r: &mut QueryRouter) {
    const TRANSFER: &str = "/ibc.applications.transfer.v1.Query";
    r.add(&format!("{TRANSFER}/DenomTrace"), q_denom_trace);
    r.add(&format!("{TRANSFER}/DenomTraces"), q_denom_traces);
    r.add(&format!("{TRANSFER}/Params"), q_transfer_params);
    r.add(&format!("{TRANSFER}/DenomHash"), q_denom_hash);
    r.add(&format!("{TRANSFER}/EscrowAddress"), q_escrow_address);
    r.add(
        &format!("{TRANSFER}/TotalEscrowForDenom"),
        q_total_escrow_for_denom,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use openledger_framework::KvWrite;
    use openledger_framework::store::{EmptyState, Overlay};

    type State = Overlay<EmptyState>;

    fn router() -> QueryRouter {
        let mut r = QueryRouter::new();
        register_core(&mut r);
        register_transfer(&mut r);
        r
    }

    fn height(rev: u64, h: u64) -> pb_client::Height {
        pb_client::Height {
            revision_number: rev,
            revision_height: h,
        }
    }

    fn client_id(id: &str) -> ClientId {
        id.parse().expect("client id")
    }

    fn port() -> PortId {
        PortId::transfer()
    }

    fn chan(id: &str) -> ChannelId {
        id.parse().expect("channel id")
    }

    /// A Tendermint client at `latest`, frozen at `frozen` when that is not zero.
    fn put_client(
        state: &mut State,
        id: &str,
        latest: pb_client::Height,
        frozen: pb_client::Height,
    ) {
        let cs = RawTmClientState {
            chain_id: "counterparty-1".into(),
            latest_height: Some(latest),
            frozen_height: Some(frozen),
            ..Default::default()
        };
        let any = Any {
            type_url: TENDERMINT_CLIENT_STATE_TYPE_URL.into(),
            value: cs.encode_to_vec(),
        };
        state.set(client_state_key(&client_id(id)), any.encode_to_vec());
    }

    fn put_consensus_state(state: &mut State, id: &str, h: pb_client::Height) {
        let path =
            ClientConsensusStatePath::new(client_id(id), h.revision_number, h.revision_height);
        let any = Any {
            type_url: "/ibc.lightclients.tendermint.v1.ConsensusState".into(),
            value: vec![h.revision_height as u8],
        };
        state.set(keys::path(path), any.encode_to_vec());
        let domain = ibc::core::client::types::Height::new(h.revision_number, h.revision_height)
            .expect("height");
        state.set(
            keys::consensus_height(&client_id(id), &domain),
            domain.to_string().into_bytes(),
        );
    }

    fn put_connection(state: &mut State, id: &str, client: &str) {
        let end = pb_connection::ConnectionEnd {
            client_id: client.into(),
            state: 3,
            ..Default::default()
        };
        let conn: ConnectionId = id.parse().expect("connection id");
        state.set(keys::path(ConnectionPath::new(&conn)), end.encode_to_vec());
    }

    fn put_channel(state: &mut State, id: &str, connection: &str, order: pb_channel::Order) {
        let ch = pb_channel::Channel {
            state: 3,
            ordering: order as i32,
            connection_hops: vec![connection.into()],
            version: "ics20-1".into(),
            ..Default::default()
        };
        state.set(channel_key(&port(), &chan(id)), ch.encode_to_vec());
    }

    fn setup() -> State {
        let mut state = Overlay::new(EmptyState);
        for id in ["07-tendermint-10", "07-tendermint-2", "07-tendermint-0"] {
            put_client(&mut state, id, height(1, 20), height(0, 0));
            put_consensus_state(&mut state, id, height(1, 20));
        }
        put_consensus_state(&mut state, "07-tendermint-0", height(1, 3));
        put_connection(&mut state, "connection-0", "07-tendermint-0");
        put_channel(
            &mut state,
            "channel-0",
            "connection-0",
            pb_channel::Order::Unordered,
        );
        put_channel(
            &mut state,
            "channel-1",
            "connection-0",
            pb_channel::Order::Ordered,
        );
        state
    }

    fn ids(states: &[pb_client::IdentifiedClientState]) -> Vec<&str> {
        states.iter().map(|c| c.client_id.as_str()).collect()
    }

    #[test]
    fn client_states_are_listed_in_id_order_and_paged() {
        let (r, state) = (router(), setup());
        let path = "/ibc.core.client.v1.Query/ClientStates";
        let resp: pb_client::QueryClientStatesResponse = r
            .query(
                path,
                &state,
                &pb_client::QueryClientStatesRequest::default(),
            )
            .unwrap();
        assert_eq!(
            ids(&resp.client_states),
            ["07-tendermint-0", "07-tendermint-2", "07-tendermint-10"]
        );
        assert_eq!(resp.pagination.unwrap().total, 3);

        let first = pb_client::QueryClientStatesRequest {
            pagination: Some(PageRequest {
                limit: 2,
                ..Default::default()
            }),
        };
        let resp: pb_client::QueryClientStatesResponse = r.query(path, &state, &first).unwrap();
        assert_eq!(
            ids(&resp.client_states),
            ["07-tendermint-0", "07-tendermint-2"]
        );
        let next = pb_client::QueryClientStatesRequest {
            pagination: Some(PageRequest {
                key: resp.pagination.unwrap().next_key,
                limit: 2,
                ..Default::default()
            }),
        };
        let resp: pb_client::QueryClientStatesResponse = r.query(path, &state, &next).unwrap();
        assert_eq!(ids(&resp.client_states), ["07-tendermint-10"]);
        assert!(resp.pagination.unwrap().next_key.is_empty());
    }

    #[test]
    fn unknown_and_malformed_client_ids() {
        let (r, state) = (router(), setup());
        let path = "/ibc.core.client.v1.Query/ClientState";
        let ask = |id: &str| {
            r.query::<_, pb_client::QueryClientStateResponse>(
                path,
                &state,
                &pb_client::QueryClientStateRequest {
                    client_id: id.into(),
                },
            )
        };
        assert!(ask("07-tendermint-2").unwrap().client_state.is_some());
        let err = ask("07-tendermint-7").unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("sdk", 22), "{err:?}");
        let err = ask("x").unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("sdk", 18), "{err:?}");
    }

    #[test]
    fn consensus_states_status_and_the_client_under_a_channel() {
        let (r, mut state) = (router(), setup());
        let heights: pb_client::QueryConsensusStateHeightsResponse = r
            .query(
                "/ibc.core.client.v1.Query/ConsensusStateHeights",
                &state,
                &pb_client::QueryConsensusStateHeightsRequest {
                    client_id: "07-tendermint-0".into(),
                    pagination: None,
                },
            )
            .unwrap();
        assert_eq!(
            heights.consensus_state_heights,
            [height(1, 3), height(1, 20)]
        );

        let latest: pb_client::QueryConsensusStateResponse = r
            .query(
                "/ibc.core.client.v1.Query/ConsensusState",
                &state,
                &pb_client::QueryConsensusStateRequest {
                    client_id: "07-tendermint-0".into(),
                    latest_height: true,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(latest.consensus_state.unwrap().value, vec![20]);

        let status = |state: &State, id: &str| {
            r.query::<_, pb_client::QueryClientStatusResponse>(
                "/ibc.core.client.v1.Query/ClientStatus",
                state,
                &pb_client::QueryClientStatusRequest {
                    client_id: id.into(),
                },
            )
            .unwrap()
            .status
        };
        assert_eq!(status(&state, "07-tendermint-2"), "Active");
        put_client(&mut state, "07-tendermint-2", height(1, 20), height(1, 15));
        assert_eq!(status(&state, "07-tendermint-2"), "Frozen");

        let resp: pb_channel::QueryChannelClientStateResponse = r
            .query(
                "/ibc.core.channel.v1.Query/ChannelClientState",
                &state,
                &pb_channel::QueryChannelClientStateRequest {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                },
            )
            .unwrap();
        assert_eq!(
            resp.identified_client_state.unwrap().client_id,
            "07-tendermint-0"
        );
    }

    #[test]
    fn packet_commitments_are_in_sequence_order() {
        let (r, mut state) = (router(), setup());
        for seq in [10, 2, 1] {
            let path = CommitmentPath::new(&port(), &chan("channel-0"), Sequence::from(seq));
            state.set(keys::path(path), vec![seq as u8; 32]);
        }
        let resp: pb_channel::QueryPacketCommitmentsResponse = r
            .query(
                "/ibc.core.channel.v1.Query/PacketCommitments",
                &state,
                &pb_channel::QueryPacketCommitmentsRequest {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                    pagination: None,
                },
            )
            .unwrap();
        let seqs: Vec<u64> = resp.commitments.iter().map(|c| c.sequence).collect();
        assert_eq!(seqs, [1, 2, 10]);
        assert_eq!(resp.commitments[2].data, vec![10; 32]);

        let acks: pb_channel::QueryUnreceivedAcksResponse = r
            .query(
                "/ibc.core.channel.v1.Query/UnreceivedAcks",
                &state,
                &pb_channel::QueryUnreceivedAcksRequest {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                    packet_ack_sequences: vec![1, 3, 10],
                },
            )
            .unwrap();
        assert_eq!(acks.sequences, [1, 10]);

        let err = r
            .query::<_, pb_channel::QueryPacketCommitmentsResponse>(
                "/ibc.core.channel.v1.Query/PacketCommitments",
                &state,
                &pb_channel::QueryPacketCommitmentsRequest {
                    port_id: "transfer".into(),
                    channel_id: "channel-9".into(),
                    pagination: None,
                },
            )
            .unwrap_err();
        assert_eq!(err.code, 22, "{err:?}");
    }

    #[test]
    fn unreceived_packets_on_unordered_and_ordered_channels() {
        let (r, mut state) = (router(), setup());
        for seq in [1, 3] {
            let path = ReceiptPath::new(&port(), &chan("channel-0"), Sequence::from(seq));
            state.set(keys::path(path), vec![1]);
        }
        state.set(
            keys::path(SeqRecvPath::new(&port(), &chan("channel-1"))),
            3u64.to_be_bytes().to_vec(),
        );
        let ask = |channel: &str, seqs: Vec<u64>| {
            r.query::<_, pb_channel::QueryUnreceivedPacketsResponse>(
                "/ibc.core.channel.v1.Query/UnreceivedPackets",
                &state,
                &pb_channel::QueryUnreceivedPacketsRequest {
                    port_id: "transfer".into(),
                    channel_id: channel.into(),
                    packet_commitment_sequences: seqs,
                },
            )
        };
        assert_eq!(
            ask("channel-0", vec![1, 2, 3, 4]).unwrap().sequences,
            [2, 4]
        );
        assert_eq!(
            ask("channel-1", vec![1, 2, 3, 4]).unwrap().sequences,
            [3, 4]
        );
        let err = ask("channel-0", vec![0]).unwrap_err();
        assert_eq!(err.code, 18, "{err:?}");
    }

    #[test]
    fn denom_traces_by_hash_with_or_without_the_ibc_prefix() {
        let (r, mut state) = (router(), setup());
        let trace = pb_transfer::DenomTrace {
            path: "transfer/channel-0".into(),
            base_denom: "uatom".into(),
        };
        let hash = transfer::denom_hash("transfer/channel-0/uatom");
        state.set(keys::denom_trace(&hash), trace.encode_to_vec());
        let ask = |h: String| {
            r.query::<_, pb_transfer::QueryDenomTraceResponse>(
                "/ibc.applications.transfer.v1.Query/DenomTrace",
                &state,
                &pb_transfer::QueryDenomTraceRequest { hash: h },
            )
        };
        assert_eq!(ask(hash.clone()).unwrap().denom_trace, Some(trace.clone()));
        assert_eq!(
            ask(format!("ibc/{hash}")).unwrap().denom_trace,
            Some(trace.clone())
        );
        assert_eq!(ask(hash.to_lowercase()).unwrap().denom_trace, Some(trace));
        let err = ask("ibc/nothex".into()).unwrap_err();
        assert_eq!(err.code, 18, "{err:?}");
        let err = ask(transfer::denom_hash("transfer/channel-5/uatom")).unwrap_err();
        assert_eq!(err.code, 22, "{err:?}");

        let resp: pb_transfer::QueryDenomHashResponse = r
            .query(
                "/ibc.applications.transfer.v1.Query/DenomHash",
                &state,
                &pb_transfer::QueryDenomHashRequest {
                    trace: "transfer/channel-0/uatom".into(),
                },
            )
            .unwrap();
        assert_eq!(resp.hash, hash);
    }
}
