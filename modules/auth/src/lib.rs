//! The auth module: accounts with their public key, account number and sequence, module
//! accounts, and the auth params the ante pipeline reads (Cosmos `x/auth` semantics).
//!
//! The [`AuthKeeper`] is the only way into the module's state; other modules hold it through
//! the narrow traits they declare (e.g. `openledger_bank::AccountKeeper`).

pub mod error;
pub mod genesis;
pub mod keys;
pub mod params;
pub mod query;

use cosmrs::Any;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, ModuleAccount, MsgUpdateParams, MsgUpdateParamsResponse, Params,
};
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey as Secp256k1PubKey;
use openledger_framework::error::SdkError;
use openledger_framework::{
    AbciError, Address, Ctx, KvRead, Module, MsgResponse, MsgServiceRouter, QueryRouter, StateRead,
    module::pack_any, type_url,
};
use prost::Message;

pub use error::AuthError;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// Module account names, as in the Cosmos SDK.
pub const FEE_COLLECTOR: &str = "fee_collector";
pub const GOV_MODULE: &str = "gov";

/// An account as the state machine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub address: Address,
    /// Compressed secp256k1 public key, set by the account's first signed transaction.
    pub pub_key: Option<Vec<u8>>,
    pub account_number: u64,
    pub sequence: u64,
    /// `Some((name, permissions))` for a module account.
    pub module: Option<(String, Vec<String>)>,
}

impl Account {
    pub fn to_base_proto(&self) -> BaseAccount {
        BaseAccount {
            address: self.address.to_bech32(),
            pub_key: self
                .pub_key
                .as_ref()
                .map(|k| pack_any(&Secp256k1PubKey { key: k.clone() })),
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }

    /// The account packed as `Any`: a `BaseAccount` or a `ModuleAccount`.
    pub fn to_any(&self) -> Any {
        match &self.module {
            None => pack_any(&self.to_base_proto()),
            Some((name, permissions)) => pack_any(&ModuleAccount {
                base_account: Some(self.to_base_proto()),
                name: name.clone(),
                permissions: permissions.clone(),
            }),
        }
    }

    pub fn from_any(any: &Any) -> Result<Self, AuthError> {
        Self::decode_any(any, None)
    }

    fn decode_any(any: &Any, known_address: Option<Address>) -> Result<Self, AuthError> {
        let corrupt = |e: &dyn std::fmt::Display| AuthError::Corrupt(e.to_string());
        let (base, module) = if any.type_url == type_url::<BaseAccount>() {
            (
                BaseAccount::decode(any.value.as_slice()).map_err(|e| corrupt(&e))?,
                None,
            )
        } else if any.type_url == type_url::<ModuleAccount>() {
            let m = ModuleAccount::decode(any.value.as_slice()).map_err(|e| corrupt(&e))?;
            let base = m
                .base_account
                .ok_or_else(|| corrupt(&"module account without base"))?;
            (base, Some((m.name, m.permissions)))
        } else {
            return Err(AuthError::Corrupt(format!(
                "unsupported account type {}",
                any.type_url
            )));
        };
        let pub_key = match base.pub_key {
            None => None,
            Some(pk) if pk.type_url == type_url::<Secp256k1PubKey>() => Some(
                Secp256k1PubKey::decode(pk.value.as_slice())
                    .map_err(|e| corrupt(&e))?
                    .key,
            ),
            Some(pk) => {
                return Err(AuthError::Corrupt(format!(
                    "unsupported key type {}",
                    pk.type_url
                )));
            }
        };
        let address = match known_address {
            // Read by key: the key already names the address, skip parsing bech32 again.
            Some(a) => a,
            None => Address::from_bech32(&base.address).map_err(|e| corrupt(&e))?,
        };
        Ok(Account {
            address,
            pub_key,
            account_number: base.account_number,
            sequence: base.sequence,
            module,
        })
    }
}

/// Keeper of accounts. Stateless: state comes in through the context.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthKeeper;

impl AuthKeeper {
    /// Reads an account: gas-metered through a [`Ctx`], free through a snapshot (queries).
    pub fn account(
        &self,
        r: &mut impl StateRead,
        addr: &Address,
    ) -> Result<Option<Account>, AbciError> {
        match r.read(&keys::account(addr))? {
            None => Ok(None),
            Some(bytes) => Ok(Some(decode_account(&bytes, addr)?)),
        }
    }

    pub fn set_account(&self, ctx: &mut Ctx<'_>, account: &Account) -> Result<(), AbciError> {
        ctx.set(
            keys::account(&account.address),
            account.to_any().encode_to_vec(),
        )
    }

    /// Creates a new account with the next account number.
    pub fn create_account(&self, ctx: &mut Ctx<'_>, addr: Address) -> Result<Account, AbciError> {
        self.insert_new(ctx, addr, None)
    }

    /// The module account `name`, created on first use.
    pub fn module_account(
        &self,
        ctx: &mut Ctx<'_>,
        name: &str,
        permissions: &[&str],
    ) -> Result<Account, AbciError> {
        let addr = Address::module(name);
        if let Some(acc) = self.account(ctx, &addr)? {
            return Ok(acc);
        }
        let module = (
            name.to_string(),
            permissions.iter().map(|p| p.to_string()).collect(),
        );
        self.insert_new(ctx, addr, Some(module))
    }

    /// Stores a new account under the next account number.
    fn insert_new(
        &self,
        ctx: &mut Ctx<'_>,
        address: Address,
        module: Option<(String, Vec<String>)>,
    ) -> Result<Account, AbciError> {
        let number = self.next_account_number(ctx)?;
        let account = Account {
            address,
            pub_key: None,
            account_number: number,
            sequence: 0,
            module,
        };
        self.set_account(ctx, &account)?;
        ctx.set(keys::address_by_number(number), address.as_bytes().to_vec())?;
        Ok(account)
    }

    fn next_account_number(&self, ctx: &mut Ctx<'_>) -> Result<u64, AbciError> {
        let current = match ctx.get(keys::next_account_number())? {
            None => 0,
            Some(b) => decode_u64(&b)?,
        };
        ctx.set(
            keys::next_account_number().to_string(),
            current.saturating_add(1).to_be_bytes().to_vec(),
        )?;
        Ok(current)
    }

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params, AbciError> {
        openledger_framework::module::decode_stored(r.read(keys::params())?, params::default_params)
            .map_err(|e| AuthError::Corrupt(e.to_string()).into())
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<(), AbciError> {
        params::validate(p)?;
        ctx.set(keys::params().to_string(), p.encode_to_vec())
    }
}

fn decode_account(bytes: &[u8], addr: &Address) -> Result<Account, AbciError> {
    let any = Any::decode(bytes).map_err(|e| AuthError::Corrupt(e.to_string()))?;
    Ok(Account::decode_any(&any, Some(*addr))?)
}

fn decode_u64(b: &[u8]) -> Result<u64, AbciError> {
    let arr: [u8; 8] = b
        .try_into()
        .map_err(|_| AuthError::Corrupt("bad counter".into()))?;
    Ok(u64::from_be_bytes(arr))
}

/// The auth module as the application drives it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthModule {
    pub keeper: AuthKeeper,
}

impl Module for AuthModule {
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

    /// The only message of the module: new params (`MsgUpdateParams`), from the gov authority.
    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        let keeper = self.keeper;
        router.add(validate_update_params, move |ctx, m| {
            update_params(&keeper, ctx, m)
        });
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper, router)
    }
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    let params = m
        .params
        .as_ref()
        .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
    params::validate(params)?;
    Ok(vec![Address::from_bech32(&m.authority)?])
}

/// `MsgUpdateParams`: only the gov module account may change the auth params.
fn update_params(
    keeper: &AuthKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    let gov = Address::module(GOV_MODULE);
    if Address::from_bech32(&m.authority)? != gov {
        return Err(SdkError::Unauthorized(format!(
            "invalid authority; expected {}, got {}",
            gov.to_bech32(),
            m.authority
        ))
        .into());
    }
    let params = m
        .params
        .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
    keeper.set_params(ctx, &params)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openledger_framework::context::ExecMode;
    use openledger_framework::store::{EmptyState, Overlay};
    use openledger_framework::{BlockInfo, GasMeter};

    fn update(authority: &Address, p: Params) -> Any {
        pack_any(&MsgUpdateParams {
            authority: authority.to_bech32(),
            params: Some(p),
        })
    }

    #[test]
    fn params_change_only_by_gov() {
        let module = AuthModule::default();
        let mut state = Overlay::new(EmptyState);
        let block = BlockInfo::default();
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        let new = Params {
            max_memo_characters: 512,
            ..params::default_params()
        };

        let user = Address::from([7; 20]);
        let msg = update(&user, new.clone());
        assert_eq!(module.validate_msg(&msg).unwrap(), vec![user]);
        {
            let mut ctx = Ctx::new(
                &block,
                ExecMode::Finalize,
                &mut state,
                &mut gas,
                &mut events,
            );
            let err = module.deliver(&mut ctx, &msg).unwrap_err();
            assert!(err.message.contains("invalid authority"), "{}", err.message);
            assert_eq!(
                module.keeper.params(&mut ctx).unwrap(),
                params::default_params()
            );
        }
        assert!(
            state.get(keys::params()).unwrap().is_none(),
            "nothing written"
        );

        let bad = update(
            &Address::module(GOV_MODULE),
            Params {
                tx_sig_limit: 0,
                ..params::default_params()
            },
        );
        assert!(module.validate_msg(&bad).is_err());

        let gov = Address::module(GOV_MODULE);
        let msg = update(&gov, new.clone());
        assert_eq!(module.validate_msg(&msg).unwrap(), vec![gov]);
        let mut ctx = Ctx::new(
            &block,
            ExecMode::Finalize,
            &mut state,
            &mut gas,
            &mut events,
        );
        module.deliver(&mut ctx, &msg).unwrap();
        assert_eq!(module.keeper.params(&mut ctx).unwrap(), new);
    }
}
