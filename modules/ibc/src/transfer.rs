//! ICS-20: fungible token transfer over the `transfer` port, on ibc-rs' transfer application.
//!
//! A native coin leaving through a channel is escrowed in that channel's escrow account (the
//! address ibc-go derives, so explorers agree); a coin arriving from its source chain is minted
//! as the voucher `ibc/<SHA-256 of its trace path and base denom>`, and its trace is recorded;
//! a voucher going back is burned and its original is released from escrow on the other side.
//! Totals in escrow are kept per denom, as ibc-go's `TotalEscrowForDenom`.

use std::fmt;

use ibc::apps::transfer::context::{TokenTransferExecutionContext, TokenTransferValidationContext};
use ibc::apps::transfer::module as app;
use ibc::apps::transfer::types::{Memo, PORT_ID_STR, PrefixedCoin, PrefixedDenom, VERSION};
use ibc::core::channel::types::Version;
use ibc::core::channel::types::acknowledgement::Acknowledgement;
use ibc::core::channel::types::channel::{Counterparty, Order};
use ibc::core::channel::types::error::ChannelError;
use ibc::core::channel::types::packet::Packet;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId};
use ibc::core::router::module::Module;
use ibc::core::router::router::Router;
use ibc::core::router::types::module::{ModuleExtras, ModuleId};
use ibc::primitives::Signer;
use ibc_proto::ibc::applications::transfer::v1::{DenomTrace, Params};
use openledger_framework::{AbciError, Address, Coin, Coins, StateRead, read_proto};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::host::Shared;
use crate::{IbcError, IbcKeeper, TRANSFER_MODULE, keys};

/// The escrow account of a channel: `sha256("ics20-1" 0x00 "<port>/<channel>")[..20]`, as in
/// ibc-go's `GetEscrowAddress`.
pub fn escrow_address(port_id: &str, channel_id: &str) -> Address {
    let mut h = Sha256::new();
    h.update(VERSION.as_bytes());
    h.update([0u8]);
    h.update(format!("{port_id}/{channel_id}").as_bytes());
    let digest = h.finalize();
    Address::from_slice(&digest[..20]).unwrap_or_else(|_| unreachable!("20 bytes make an address"))
}

/// The hash that names the voucher of a traced denom (`ibc/<hash>`): upper-case hex SHA-256
/// of `<trace path>/<base denom>`.
pub fn denom_hash(full_path: &str) -> String {
    hex::encode_upper(Sha256::digest(full_path.as_bytes()))
}

/// The bank denom of an ICS-20 denom: the base denom when it has no trace (a coin native to
/// this chain), else its voucher `ibc/<hash>`.
pub fn bank_denom(denom: &PrefixedDenom) -> String {
    if denom.trace_path.is_empty() {
        denom.base_denom.to_string()
    } else {
        format!("ibc/{}", denom_hash(&denom.to_string()))
    }
}

/// The `DenomTrace` of a prefixed denom.
pub fn trace_of(denom: &PrefixedDenom) -> DenomTrace {
    DenomTrace {
        path: denom.trace_path.to_string(),
        base_denom: denom.base_denom.to_string(),
    }
}

/// The trace behind a voucher denom `ibc/<hash>`, read from state.
pub fn denom_trace(r: &mut impl StateRead, hash: &str) -> Result<Option<DenomTrace>, AbciError> {
    read_proto(
        r,
        &keys::denom_trace(&hash.to_uppercase()),
        IbcError::Corrupt,
    )
}

/// The transfer params; both directions are on until governance says otherwise.
pub fn params(r: &mut impl StateRead) -> Result<Params, AbciError> {
    Ok(
        read_proto(r, keys::transfer_params(), IbcError::Corrupt)?.unwrap_or(Params {
            send_enabled: true,
            receive_enabled: true,
        }),
    )
}

fn amount_of(coin: &PrefixedCoin) -> Result<u128, HostError> {
    coin.amount
        .to_string()
        .parse::<u128>()
        .map_err(|_| HostError::invalid_state(format!("amount {} is too large", coin.amount)))
}

fn coins_of(coin: &PrefixedCoin) -> Result<Coins, HostError> {
    Coins::from_vec(vec![Coin::new(amount_of(coin)?, bank_denom(&coin.denom))])
        .map_err(HostError::invalid_state)
}

/// The transfer application during one message: the same state as IBC core's [`crate::host::Host`].
pub struct TransferApp<'s, 'c, 'a> {
    shared: &'s Shared<'c, 'a>,
    keeper: &'s IbcKeeper,
}

impl fmt::Debug for TransferApp<'_, '_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransferApp")
    }
}

impl<'s, 'c, 'a> TransferApp<'s, 'c, 'a> {
    pub fn new(shared: &'s Shared<'c, 'a>, keeper: &'s IbcKeeper) -> Self {
        Self { shared, keeper }
    }

    fn balance(&self, addr: &Address, denom: &str) -> Result<u128, HostError> {
        self.shared
            .run(|c| self.keeper.bank.balance(c, addr, denom))
    }

    fn has_at_least(&self, addr: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        let denom = bank_denom(&coin.denom);
        let needed = amount_of(coin)?;
        let balance = self.balance(addr, &denom)?;
        if balance < needed {
            return Err(HostError::invalid_state(format!(
                "spendable balance {balance}{denom} is smaller than {needed}{denom}: insufficient funds"
            )));
        }
        Ok(())
    }

    fn not_blocked(&self, addr: &Address) -> Result<(), HostError> {
        if self.keeper.bank.is_blocked(addr) {
            return Err(HostError::invalid_state(format!(
                "{} is not allowed to receive funds",
                addr.to_bech32()
            )));
        }
        Ok(())
    }

    fn change_escrow(&self, coin: &PrefixedCoin, add: bool) -> Result<(), HostError> {
        let denom = bank_denom(&coin.denom);
        let amount = amount_of(coin)?;
        self.shared.run(|c| {
            let key = keys::total_escrow(&denom);
            let now = match c.get(&key)? {
                None => 0,
                Some(b) => String::from_utf8_lossy(&b)
                    .parse::<u128>()
                    .map_err(|e| IbcError::Corrupt(format!("{key}: {e}")))?,
            };
            let next = if add {
                now.checked_add(amount)
            } else {
                now.checked_sub(amount)
            }
            .ok_or_else(|| IbcError::Corrupt(format!("{key}: escrow total out of range")))?;
            if next == 0 {
                c.delete(key)
            } else {
                c.set(key, next.to_string().into_bytes())
            }
        })
    }

    fn account(signer: &Signer) -> Result<Address, HostError> {
        Address::from_bech32(signer.as_ref())
            .map_err(|e| HostError::invalid_state(format!("invalid address {signer}: {e}")))
    }
}

impl TokenTransferValidationContext for TransferApp<'_, '_, '_> {
    type AccountId = Address;

    fn sender_account(&self, sender: &Signer) -> Result<Address, HostError> {
        Self::account(sender)
    }

    fn receiver_account(&self, receiver: &Signer) -> Result<Address, HostError> {
        Self::account(receiver)
    }

    fn get_port(&self) -> Result<PortId, HostError> {
        Ok(PortId::transfer())
    }

    fn can_send_coins(&self) -> Result<(), HostError> {
        if self.shared.run(params)?.send_enabled {
            Ok(())
        } else {
            Err(HostError::invalid_state(
                "fungible token transfers from this chain are disabled",
            ))
        }
    }

    fn can_receive_coins(&self) -> Result<(), HostError> {
        if self.shared.run(params)?.receive_enabled {
            Ok(())
        } else {
            Err(HostError::invalid_state(
                "fungible token transfers to this chain are disabled",
            ))
        }
    }

    fn escrow_coins_validate(
        &self,
        from: &Address,
        _port_id: &PortId,
        _channel_id: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.has_at_least(from, coin)
    }

    fn unescrow_coins_validate(
        &self,
        to: &Address,
        port_id: &PortId,
        channel_id: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        self.not_blocked(to)?;
        self.has_at_least(&escrow_address(port_id.as_str(), channel_id.as_str()), coin)
    }

    fn mint_coins_validate(&self, to: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        self.not_blocked(to)?;
        coins_of(coin).map(|_| ())
    }

    fn burn_coins_validate(
        &self,
        from: &Address,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        self.has_at_least(from, coin)
    }

    fn denom_hash_string(&self, denom: &PrefixedDenom) -> Option<String> {
        (!denom.trace_path.is_empty()).then(|| denom_hash(&denom.to_string()))
    }
}

impl TokenTransferExecutionContext for TransferApp<'_, '_, '_> {
    fn escrow_coins_execute(
        &mut self,
        from: &Address,
        port_id: &PortId,
        channel_id: &ChannelId,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let coins = coins_of(coin)?;
        let escrow = escrow_address(port_id.as_str(), channel_id.as_str());
        self.shared
            .run(|c| self.keeper.bank.send(c, from, &escrow, &coins))?;
        self.change_escrow(coin, true)
    }

    fn unescrow_coins_execute(
        &mut self,
        to: &Address,
        port_id: &PortId,
        channel_id: &ChannelId,
        coin: &PrefixedCoin,
    ) -> Result<(), HostError> {
        let coins = coins_of(coin)?;
        let escrow = escrow_address(port_id.as_str(), channel_id.as_str());
        self.shared
            .run(|c| self.keeper.bank.send(c, &escrow, to, &coins))?;
        self.change_escrow(coin, false)
    }

    fn mint_coins_execute(&mut self, to: &Address, coin: &PrefixedCoin) -> Result<(), HostError> {
        let coins = coins_of(coin)?;
        let hash = denom_hash(&coin.denom.to_string());
        let trace = trace_of(&coin.denom);
        self.shared.run(|c| {
            let key = keys::denom_trace(&hash);
            if c.get(&key)?.is_none() {
                c.set(key, trace.encode_to_vec())?;
            }
            self.keeper.bank.mint(c, TRANSFER_MODULE, &coins)?;
            self.keeper
                .bank
                .send_from_module(c, TRANSFER_MODULE, to, &coins)
        })
    }

    fn burn_coins_execute(
        &mut self,
        from: &Address,
        coin: &PrefixedCoin,
        _memo: &Memo,
    ) -> Result<(), HostError> {
        let coins = coins_of(coin)?;
        self.shared.run(|c| {
            self.keeper
                .bank
                .send_to_module(c, from, TRANSFER_MODULE, &coins)?;
            self.keeper.bank.burn(c, TRANSFER_MODULE, &coins)
        })
    }
}

fn app_error(e: impl fmt::Display) -> ChannelError {
    ChannelError::AppSpecific {
        description: e.to_string(),
    }
}

/// The transfer application as ibc-rs' router sees it: its channel and packet callbacks.
impl Module for TransferApp<'_, '_, '_> {
    fn on_chan_open_init_validate(
        &self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        app::on_chan_open_init_validate(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            version,
        )
        .map_err(app_error)?;
        Ok(Version::new(VERSION.to_string()))
    }

    fn on_chan_open_init_execute(
        &mut self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        app::on_chan_open_init_execute(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            version,
        )
        .map_err(app_error)
    }

    fn on_chan_open_try_validate(
        &self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<Version, ChannelError> {
        app::on_chan_open_try_validate(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            counterparty_version,
        )
        .map_err(app_error)?;
        Ok(Version::new(VERSION.to_string()))
    }

    fn on_chan_open_try_execute(
        &mut self,
        order: Order,
        connection_hops: &[ConnectionId],
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        app::on_chan_open_try_execute(
            self,
            order,
            connection_hops,
            port_id,
            channel_id,
            counterparty,
            counterparty_version,
        )
        .map_err(app_error)
    }

    fn on_chan_open_ack_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty_version: &Version,
    ) -> Result<(), ChannelError> {
        app::on_chan_open_ack_validate(self, port_id, channel_id, counterparty_version)
            .map_err(app_error)
    }

    fn on_chan_open_ack_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
        counterparty_version: &Version,
    ) -> Result<ModuleExtras, ChannelError> {
        app::on_chan_open_ack_execute(self, port_id, channel_id, counterparty_version)
            .map_err(app_error)
    }

    fn on_chan_open_confirm_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<(), ChannelError> {
        app::on_chan_open_confirm_validate(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_open_confirm_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        app::on_chan_open_confirm_execute(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_init_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<(), ChannelError> {
        app::on_chan_close_init_validate(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_init_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        app::on_chan_close_init_execute(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_confirm_validate(
        &self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<(), ChannelError> {
        app::on_chan_close_confirm_validate(self, port_id, channel_id).map_err(app_error)
    }

    fn on_chan_close_confirm_execute(
        &mut self,
        port_id: &PortId,
        channel_id: &ChannelId,
    ) -> Result<ModuleExtras, ChannelError> {
        app::on_chan_close_confirm_execute(self, port_id, channel_id).map_err(app_error)
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let (extras, ack) = app::on_recv_packet_execute(self, packet);
        (extras, Some(ack))
    }

    fn on_acknowledgement_packet_validate(
        &self,
        packet: &Packet,
        acknowledgement: &Acknowledgement,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        app::on_acknowledgement_packet_validate(self, packet, acknowledgement, relayer)
            .map_err(app_error)
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        acknowledgement: &Acknowledgement,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (extras, r) =
            app::on_acknowledgement_packet_execute(self, packet, acknowledgement, relayer);
        (extras, r.map_err(app_error))
    }

    fn on_timeout_packet_validate(
        &self,
        packet: &Packet,
        relayer: &Signer,
    ) -> Result<(), ChannelError> {
        app::on_timeout_packet_validate(self, packet, relayer).map_err(app_error)
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        relayer: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let (extras, r) = app::on_timeout_packet_execute(self, packet, relayer);
        (extras, r.map_err(app_error))
    }
}

/// ibc-rs' router: the `transfer` port goes to the transfer application.
pub struct Apps<'s, 'c, 'a> {
    transfer: TransferApp<'s, 'c, 'a>,
}

impl<'s, 'c, 'a> Apps<'s, 'c, 'a> {
    pub fn new(shared: &'s Shared<'c, 'a>, keeper: &'s IbcKeeper) -> Self {
        Self {
            transfer: TransferApp::new(shared, keeper),
        }
    }

    pub fn transfer(&mut self) -> &mut TransferApp<'s, 'c, 'a> {
        &mut self.transfer
    }
}

fn transfer_module_id() -> ModuleId {
    ModuleId::new(PORT_ID_STR.to_string())
}

impl Router for Apps<'_, '_, '_> {
    fn get_route(&self, module_id: &ModuleId) -> Option<&dyn Module> {
        (module_id == &transfer_module_id()).then_some(&self.transfer as &dyn Module)
    }

    fn get_route_mut(&mut self, module_id: &ModuleId) -> Option<&mut dyn Module> {
        if module_id == &transfer_module_id() {
            Some(&mut self.transfer)
        } else {
            None
        }
    }

    fn lookup_module(&self, port_id: &PortId) -> Option<ModuleId> {
        (port_id.as_str() == PORT_ID_STR).then(transfer_module_id)
    }
}
