//! What the wasm module needs from the rest of the chain, as narrow traits (the Cosmos SDK's
//! `expected_keepers.go`). The bank implementation over [`openledger_bank::BankKeeper`] is here;
//! the application implements [`ContractAccounts`] over auth and [`CustomBindings`] over the
//! OpenLedger modules.

use openledger_bank::BankError;
use openledger_framework::{AbciError, Address, Coins, Ctx, KvRead};

use crate::MODULE_NAME;

/// Balances as contracts see and move them.
pub trait WasmBank: Send + Sync {
    /// A transfer a user or contract asked for: send-enabled and blocked-address checks apply.
    fn transfer(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        to: &Address,
        coins: &Coins,
    ) -> Result<(), AbciError>;

    /// Destroys `coins` held by `from` (`BankMsg::Burn`).
    fn burn(&self, ctx: &mut Ctx<'_>, from: &Address, coins: &Coins) -> Result<(), AbciError>;

    fn balance_at(
        &self,
        state: &dyn KvRead,
        addr: &Address,
        denom: &str,
    ) -> Result<u128, AbciError>;

    fn all_balances_at(&self, state: &dyn KvRead, addr: &Address) -> Result<Coins, AbciError>;

    fn supply_at(&self, state: &dyn KvRead, denom: &str) -> Result<u128, AbciError>;
}

impl WasmBank for openledger_bank::BankKeeper {
    fn transfer(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        to: &Address,
        coins: &Coins,
    ) -> Result<(), AbciError> {
        if coins.is_empty() {
            return Ok(());
        }
        self.check_send_enabled(ctx, coins)?;
        if self.is_blocked(to) {
            return Err(BankError::BlockedAddress(to.to_bech32()).into());
        }
        self.send(ctx, from, to, coins)
    }

    fn burn(&self, ctx: &mut Ctx<'_>, from: &Address, coins: &Coins) -> Result<(), AbciError> {
        if coins.is_empty() {
            return Ok(());
        }
        self.send_to_module(ctx, from, MODULE_NAME, coins)?;
        openledger_bank::BankKeeper::burn(self, ctx, MODULE_NAME, coins)
    }

    fn balance_at(
        &self,
        mut state: &dyn KvRead,
        addr: &Address,
        denom: &str,
    ) -> Result<u128, AbciError> {
        openledger_bank::BankKeeper::balance(self, &mut state, addr, denom)
    }

    fn all_balances_at(&self, mut state: &dyn KvRead, addr: &Address) -> Result<Coins, AbciError> {
        openledger_bank::BankKeeper::all_balances(self, &mut state, addr)
    }

    fn supply_at(&self, mut state: &dyn KvRead, denom: &str) -> Result<u128, AbciError> {
        openledger_bank::BankKeeper::supply(self, &mut state, denom)
    }
}

/// Accounts for new contracts (wasmd creates one for every contract).
pub trait ContractAccounts: Send + Sync {
    /// Creates the contract's account. Funds sent to the address before it was instantiated
    /// (predictable addresses) are fine; an account that has signed anything is not.
    fn create_contract_account(&self, ctx: &mut Ctx<'_>, addr: &Address) -> Result<(), AbciError>;
}

/// For chains (and tests) without auth: contracts get an account when they first receive funds.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAccounts;

impl ContractAccounts for NoAccounts {
    fn create_contract_account(&self, _: &mut Ctx<'_>, _: &Address) -> Result<(), AbciError> {
        Ok(())
    }
}

/// What a custom message did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomMsgResult {
    /// Returned to the contract as the submessage's data and `msg_responses`.
    pub data: Option<Vec<u8>>,
    /// `(type_url, protobuf bytes)` of the messages' responses, for `SubMsgResponse::msg_responses`.
    pub msg_responses: Vec<(String, Vec<u8>)>,
}

/// OpenLedger's custom queries and messages (`QueryRequest::Custom` / `CosmosMsg::Custom`, the
/// JSON the contract sent, `{"custom": …}` stripped), and `CosmosMsg::Any` messages. The app
/// implements this over the Datanet, models and attribution modules.
pub trait CustomBindings: Send + Sync {
    /// Answers a custom query with the JSON response. Reads go through `ctx` (gas-metered, the
    /// current transaction's state); queries must not write.
    fn query(&self, ctx: &mut Ctx<'_>, request: &[u8]) -> Result<Vec<u8>, AbciError> {
        let _ = (ctx, request);
        Err(crate::WasmError::UnknownMsg("custom queries are not supported".into()).into())
    }

    /// Executes a custom message sent by `contract`. Its writes and events are kept only if the
    /// whole contract call succeeds.
    fn execute(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &Address,
        msg: &[u8],
    ) -> Result<CustomMsgResult, AbciError> {
        let _ = (ctx, contract, msg);
        Err(crate::WasmError::UnknownMsg("custom messages are not supported".into()).into())
    }

    /// Executes a protobuf message (`CosmosMsg::Any`) with `contract` as its signer, through the
    /// app's message router.
    fn execute_any(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &Address,
        type_url: &str,
        value: &[u8],
    ) -> Result<CustomMsgResult, AbciError> {
        let _ = (ctx, contract, value);
        Err(crate::WasmError::UnknownMsg(format!("{type_url} messages are not supported")).into())
    }
}

/// No custom bindings: custom queries and messages fail with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBindings;

impl CustomBindings for NoBindings {}
