//! The bank module: balances, total supply, `MsgSend` / `MsgMultiSend`, module accounts and the
//! fee collector (Cosmos `x/bank` semantics and events).
//!
//! Invariant (tested): the total supply of every denom equals the sum of all balances of it.

pub mod error;
pub mod genesis;
pub mod keys;
pub mod msgs;
pub mod params;
pub mod query;

use std::sync::Arc;

use cosmrs::proto::cosmos::bank::v1beta1::Params;
use openledger_framework::coins::parse_amount;
use openledger_framework::{
    AbciError, Address, Coin, Coins, Ctx, Event, KvRead, Module, MsgServiceRouter, QueryRouter,
    StateRead,
};
use prost::Message;

pub use error::BankError;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// What bank needs from auth: declared here, implemented by the application over the auth
/// keeper (the Cosmos SDK's `expected_keepers.go`).
pub trait AccountKeeper: Send + Sync {
    /// Creates the account if it does not exist yet (a first receipt creates an account).
    fn ensure_account(&self, ctx: &mut Ctx<'_>, addr: Address) -> Result<(), AbciError>;
    /// The address of module account `name`, creating the account on first use.
    fn module_address(&self, ctx: &mut Ctx<'_>, name: &str) -> Result<Address, AbciError>;
}

/// Keeper of balances and supply.
#[derive(Clone)]
pub struct BankKeeper {
    accounts: Arc<dyn AccountKeeper>,
    /// Module accounts that must not receive user sends.
    blocked: Vec<Address>,
    /// The gov module account, the only authority for `MsgUpdateParams`.
    authority: Address,
}

impl BankKeeper {
    pub fn new(
        accounts: Arc<dyn AccountKeeper>,
        blocked_modules: &[&str],
        authority: Address,
    ) -> Self {
        Self {
            accounts,
            blocked: blocked_modules.iter().map(|m| Address::module(m)).collect(),
            authority,
        }
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn is_blocked(&self, addr: &Address) -> bool {
        self.blocked.contains(addr)
    }

    /// A balance: gas-metered through a [`Ctx`], free through a snapshot (queries).
    pub fn balance(
        &self,
        r: &mut impl StateRead,
        addr: &Address,
        denom: &str,
    ) -> Result<u128, AbciError> {
        decode_amount(r.read(&keys::balance(addr, denom))?)
    }

    pub fn all_balances(&self, r: &mut impl StateRead, addr: &Address) -> Result<Coins, AbciError> {
        let mut coins = Vec::new();
        for (key, value) in r.read_prefix(&keys::balances_of(addr))? {
            let Some((_, denom)) = keys::parse_balance_key(&key) else {
                continue;
            };
            coins.push(Coin::new(decode_amount(Some(value))?, denom));
        }
        Ok(Coins::from_vec(coins)?)
    }

    pub fn supply(&self, r: &mut impl StateRead, denom: &str) -> Result<u128, AbciError> {
        decode_amount(r.read(&keys::supply(denom))?)
    }

    pub fn total_supply(&self, r: &mut impl StateRead) -> Result<Coins, AbciError> {
        let mut coins = Vec::new();
        for (key, value) in r.read_prefix(keys::all_supply())? {
            let denom = key.trim_start_matches(keys::all_supply());
            coins.push(Coin::new(decode_amount(Some(value))?, denom));
        }
        Ok(Coins::from_vec(coins)?)
    }

    fn set_balance(
        &self,
        ctx: &mut Ctx<'_>,
        addr: &Address,
        denom: &str,
        amount: u128,
    ) -> Result<(), AbciError> {
        let key = keys::balance(addr, denom);
        if amount == 0 {
            ctx.delete(key)
        } else {
            ctx.set(key, amount.to_string().into_bytes())
        }
    }

    fn sub_coins(&self, ctx: &mut Ctx<'_>, addr: &Address, coins: &Coins) -> Result<(), AbciError> {
        for coin in coins.iter() {
            let balance = self.balance(ctx, addr, &coin.denom)?;
            let Some(left) = balance.checked_sub(coin.amount) else {
                return Err(BankError::InsufficientFunds {
                    balance: Coin::new(balance, coin.denom.clone()).to_string(),
                    needed: coin.to_string(),
                }
                .into());
            };
            self.set_balance(ctx, addr, &coin.denom, left)?;
        }
        ctx.emit(
            Event::new("coin_spent")
                .attr("spender", addr.to_bech32())
                .attr("amount", coins.to_string()),
        );
        Ok(())
    }

    fn add_coins(&self, ctx: &mut Ctx<'_>, addr: &Address, coins: &Coins) -> Result<(), AbciError> {
        for coin in coins.iter() {
            let balance = self.balance(ctx, addr, &coin.denom)?;
            let sum = balance
                .checked_add(coin.amount)
                .ok_or_else(|| BankError::Overflow(coin.denom.clone()))?;
            self.set_balance(ctx, addr, &coin.denom, sum)?;
        }
        ctx.emit(
            Event::new("coin_received")
                .attr("receiver", addr.to_bech32())
                .attr("amount", coins.to_string()),
        );
        Ok(())
    }

    /// Moves coins between accounts, creating the recipient's account if needed.
    pub fn send(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        to: &Address,
        coins: &Coins,
    ) -> Result<(), AbciError> {
        self.sub_coins(ctx, from, coins)?;
        self.accounts.ensure_account(ctx, *to)?;
        self.add_coins(ctx, to, coins)?;
        ctx.emit(
            Event::new("transfer")
                .attr("recipient", to.to_bech32())
                .attr("sender", from.to_bech32())
                .attr("amount", coins.to_string()),
        );
        Ok(())
    }

    pub fn send_to_module(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        module: &str,
        coins: &Coins,
    ) -> Result<(), AbciError> {
        let to = self.accounts.module_address(ctx, module)?;
        self.send(ctx, from, &to, coins)
    }

    pub fn send_from_module(
        &self,
        ctx: &mut Ctx<'_>,
        module: &str,
        to: &Address,
        coins: &Coins,
    ) -> Result<(), AbciError> {
        let from = self.accounts.module_address(ctx, module)?;
        self.send(ctx, &from, to, coins)
    }

    /// Moves coins between two module accounts (e.g. staking's bonded and not-bonded pools).
    pub fn send_module_to_module(
        &self,
        ctx: &mut Ctx<'_>,
        from_module: &str,
        to_module: &str,
        coins: &Coins,
    ) -> Result<(), AbciError> {
        let from = self.accounts.module_address(ctx, from_module)?;
        let to = self.accounts.module_address(ctx, to_module)?;
        self.send(ctx, &from, &to, coins)
    }

    /// Creates coins in a module account, raising the supply.
    pub fn mint(&self, ctx: &mut Ctx<'_>, module: &str, coins: &Coins) -> Result<(), AbciError> {
        let to = self.accounts.module_address(ctx, module)?;
        self.add_coins(ctx, &to, coins)?;
        for coin in coins.iter() {
            let supply = decode_amount(ctx.get(&keys::supply(&coin.denom))?)?;
            let next = supply
                .checked_add(coin.amount)
                .ok_or_else(|| BankError::Overflow(coin.denom.clone()))?;
            ctx.set(keys::supply(&coin.denom), next.to_string().into_bytes())?;
        }
        ctx.emit(
            Event::new("coinbase")
                .attr("minter", to.to_bech32())
                .attr("amount", coins.to_string()),
        );
        Ok(())
    }

    /// Destroys coins held by a module account, lowering the supply.
    pub fn burn(&self, ctx: &mut Ctx<'_>, module: &str, coins: &Coins) -> Result<(), AbciError> {
        let from = self.accounts.module_address(ctx, module)?;
        self.sub_coins(ctx, &from, coins)?;
        for coin in coins.iter() {
            let supply = decode_amount(ctx.get(&keys::supply(&coin.denom))?)?;
            let next = supply
                .checked_sub(coin.amount)
                .ok_or_else(|| BankError::Corrupt("supply underflow".into()))?;
            let key = keys::supply(&coin.denom);
            if next == 0 {
                ctx.delete(key)?
            } else {
                ctx.set(key, next.to_string().into_bytes())?
            }
        }
        ctx.emit(
            Event::new("burn")
                .attr("burner", from.to_bech32())
                .attr("amount", coins.to_string()),
        );
        Ok(())
    }

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params, AbciError> {
        openledger_framework::module::decode_stored(r.read(keys::params())?, params::default_params)
            .map_err(|e| BankError::Corrupt(e.to_string()).into())
    }

    #[allow(deprecated)]
    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<(), AbciError> {
        for s in &p.send_enabled {
            openledger_framework::coins::validate_denom(&s.denom)?;
        }
        ctx.set(keys::params().to_string(), p.encode_to_vec())
    }

    /// Fails unless every denom of `coins` may be sent.
    pub fn check_send_enabled(&self, ctx: &mut Ctx<'_>, coins: &Coins) -> Result<(), AbciError> {
        let p = self.params(ctx)?;
        for coin in coins.iter() {
            if !params::send_enabled(&p, &coin.denom) {
                return Err(BankError::SendDisabled(coin.denom.clone()).into());
            }
        }
        Ok(())
    }
}

fn decode_amount(bytes: Option<Vec<u8>>) -> Result<u128, AbciError> {
    match bytes {
        None => Ok(0),
        Some(b) => {
            let s = std::str::from_utf8(&b).map_err(|e| BankError::Corrupt(e.to_string()))?;
            Ok(parse_amount(s)?)
        }
    }
}

/// The bank module as the application drives it.
#[derive(Clone)]
pub struct BankModule {
    pub keeper: BankKeeper,
}

impl BankModule {
    pub fn new(keeper: BankKeeper) -> Self {
        Self { keeper }
    }
}

impl Module for BankModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), AbciError> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
