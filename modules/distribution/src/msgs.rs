//! `cosmos.distribution.v1beta1.Msg`: stateless checks in [`validate`], execution in
//! [`deliver`]. Each message runs in a branch, so a failing one changes nothing.

use cosmrs::Any;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::distribution::v1beta1::{
    MsgCommunityPoolSpend, MsgCommunityPoolSpendResponse, MsgDepositValidatorRewardsPool,
    MsgDepositValidatorRewardsPoolResponse, MsgFundCommunityPool, MsgFundCommunityPoolResponse,
    MsgSetWithdrawAddress, MsgSetWithdrawAddressResponse, MsgUpdateParams, MsgUpdateParamsResponse,
    MsgWithdrawDelegatorReward, MsgWithdrawDelegatorRewardResponse, MsgWithdrawValidatorCommission,
    MsgWithdrawValidatorCommissionResponse,
};
use openledger_framework::address::VALOPER_PREFIX;
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coins, Ctx, Event, MsgResponse, decode_msg};
use openledger_staking::valoper;

use crate::dec_coins::DecCoins;
use crate::keeper::dc_err;
use crate::params::Params;
use crate::{DistributionError, DistributionKeeper, MODULE_NAME};

pub const MSG_SET_WITHDRAW_ADDRESS: &str = "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress";
pub const MSG_WITHDRAW_DELEGATOR_REWARD: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward";
pub const MSG_WITHDRAW_VALIDATOR_COMMISSION: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawValidatorCommission";
pub const MSG_FUND_COMMUNITY_POOL: &str = "/cosmos.distribution.v1beta1.MsgFundCommunityPool";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.distribution.v1beta1.MsgUpdateParams";
pub const MSG_COMMUNITY_POOL_SPEND: &str = "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend";
pub const MSG_DEPOSIT_VALIDATOR_REWARDS_POOL: &str =
    "/cosmos.distribution.v1beta1.MsgDepositValidatorRewardsPool";

pub const TYPE_URLS: &[&str] = &[
    MSG_SET_WITHDRAW_ADDRESS,
    MSG_WITHDRAW_DELEGATOR_REWARD,
    MSG_WITHDRAW_VALIDATOR_COMMISSION,
    MSG_FUND_COMMUNITY_POOL,
    MSG_UPDATE_PARAMS,
    MSG_COMMUNITY_POOL_SPEND,
    MSG_DEPOSIT_VALIDATOR_REWARDS_POOL,
];

type Result<T> = std::result::Result<T, AbciError>;

/// An `open1…` account address; `empty` is the error for an empty string.
pub(crate) fn parse_account(
    what: &str,
    s: &str,
    empty: DistributionError,
) -> std::result::Result<Address, DistributionError> {
    if s.is_empty() {
        return Err(empty);
    }
    Address::from_bech32(s)
        .map_err(|e| DistributionError::InvalidAddress(format!("invalid {what} address: {e}")))
}

/// An `openvaloper1…` address.
pub(crate) fn parse_valoper(s: &str) -> std::result::Result<Address, DistributionError> {
    if s.is_empty() {
        return Err(DistributionError::EmptyValidatorAddr);
    }
    let bad = |e: String| {
        DistributionError::InvalidAddress(format!("invalid validator address {s:?}: {e}"))
    };
    let id: cosmrs::AccountId = s
        .parse()
        .map_err(|e: cosmrs::ErrorReport| bad(e.to_string()))?;
    if id.prefix() != VALOPER_PREFIX {
        return Err(bad(format!(
            "expected prefix {VALOPER_PREFIX}, got {}",
            id.prefix()
        )));
    }
    Address::from_slice(&id.to_bytes()).map_err(|e| bad(e.to_string()))
}

/// A non-empty, valid set of coins.
fn positive_coins(
    what: &str,
    coins: &[ProtoCoin],
) -> std::result::Result<Coins, DistributionError> {
    let c = Coins::from_proto(coins)
        .map_err(|e| DistributionError::InvalidCoins(format!("{what}: {e}")))?;
    if c.is_empty() {
        return Err(DistributionError::InvalidCoins(format!(
            "{what} must be positive"
        )));
    }
    Ok(c)
}

fn params_of(
    p: Option<&cosmrs::proto::cosmos::distribution::v1beta1::Params>,
) -> std::result::Result<Params, DistributionError> {
    let p = p.ok_or_else(|| DistributionError::InvalidParams("params are required".into()))?;
    Params::from_proto(p)
}

fn authority(s: &str) -> std::result::Result<Address, DistributionError> {
    Address::from_bech32(s)
        .map_err(|e| DistributionError::InvalidAddress(format!("invalid authority address: {e}")))
}

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>> {
    let signer = match msg.type_url.as_str() {
        MSG_SET_WITHDRAW_ADDRESS => {
            let m: MsgSetWithdrawAddress = decode_msg(msg)?;
            parse_account(
                "withdraw",
                &m.withdraw_address,
                DistributionError::EmptyWithdrawAddr,
            )?;
            parse_account(
                "delegator",
                &m.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?
        }
        MSG_WITHDRAW_DELEGATOR_REWARD => {
            let m: MsgWithdrawDelegatorReward = decode_msg(msg)?;
            parse_valoper(&m.validator_address)?;
            parse_account(
                "delegator",
                &m.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?
        }
        MSG_WITHDRAW_VALIDATOR_COMMISSION => {
            let m: MsgWithdrawValidatorCommission = decode_msg(msg)?;
            // The operator signs with the account of the same bytes.
            parse_valoper(&m.validator_address)?
        }
        MSG_FUND_COMMUNITY_POOL => {
            let m: MsgFundCommunityPool = decode_msg(msg)?;
            positive_coins("amount", &m.amount)?;
            parse_account(
                "depositor",
                &m.depositor,
                DistributionError::EmptyDelegatorAddr,
            )?
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            params_of(m.params.as_ref())?;
            authority(&m.authority)?
        }
        MSG_COMMUNITY_POOL_SPEND => {
            let m: MsgCommunityPoolSpend = decode_msg(msg)?;
            positive_coins("amount", &m.amount)
                .map_err(|e| DistributionError::InvalidProposalAmount(e.to_string()))?;
            parse_account(
                "recipient",
                &m.recipient,
                DistributionError::EmptyProposalRecipient,
            )?;
            authority(&m.authority)?
        }
        MSG_DEPOSIT_VALIDATOR_REWARDS_POOL => {
            let m: MsgDepositValidatorRewardsPool = decode_msg(msg)?;
            parse_valoper(&m.validator_address)?;
            positive_coins("amount", &m.amount)?;
            parse_account(
                "depositor",
                &m.depositor,
                DistributionError::EmptyDelegatorAddr,
            )?
        }
        other => {
            return Err(SdkError::UnknownRequest(format!(
                "unrecognized distribution message type: {other}"
            ))
            .into());
        }
    };
    Ok(vec![signer])
}

pub fn deliver(keeper: &DistributionKeeper, ctx: &mut Ctx<'_>, msg: &Any) -> Result<MsgResponse> {
    ctx.branch(|ctx| deliver_in_branch(keeper, ctx, msg))
}

fn deliver_in_branch(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse> {
    match msg.type_url.as_str() {
        MSG_SET_WITHDRAW_ADDRESS => {
            let m: MsgSetWithdrawAddress = decode_msg(msg)?;
            let del = parse_account(
                "delegator",
                &m.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let to = parse_account(
                "withdraw",
                &m.withdraw_address,
                DistributionError::EmptyWithdrawAddr,
            )?;
            keeper.set_withdraw_addr(ctx, &del, &to)?;
            Ok(MsgResponse::of(&MsgSetWithdrawAddressResponse {}))
        }
        MSG_WITHDRAW_DELEGATOR_REWARD => {
            let m: MsgWithdrawDelegatorReward = decode_msg(msg)?;
            let del = parse_account(
                "delegator",
                &m.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let val = parse_valoper(&m.validator_address)?;
            let amount = keeper.withdraw_delegation_rewards(ctx, &del, &val)?;
            Ok(MsgResponse::of(&MsgWithdrawDelegatorRewardResponse {
                amount: amount.to_proto(),
            }))
        }
        MSG_WITHDRAW_VALIDATOR_COMMISSION => {
            let m: MsgWithdrawValidatorCommission = decode_msg(msg)?;
            let val = parse_valoper(&m.validator_address)?;
            let amount = keeper.withdraw_validator_commission(ctx, &val)?;
            Ok(MsgResponse::of(&MsgWithdrawValidatorCommissionResponse {
                amount: amount.to_proto(),
            }))
        }
        MSG_FUND_COMMUNITY_POOL => {
            let m: MsgFundCommunityPool = decode_msg(msg)?;
            let from = parse_account(
                "depositor",
                &m.depositor,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let amount = positive_coins("amount", &m.amount)?;
            keeper.fund_community_pool(ctx, &from, &amount)?;
            Ok(MsgResponse::of(&MsgFundCommunityPoolResponse {}))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            keeper.check_authority(&m.authority)?;
            let p = params_of(m.params.as_ref())?;
            keeper.set_params(ctx, &p)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        MSG_COMMUNITY_POOL_SPEND => {
            let m: MsgCommunityPoolSpend = decode_msg(msg)?;
            keeper.check_authority(&m.authority)?;
            let amount = positive_coins("amount", &m.amount)
                .map_err(|e| DistributionError::InvalidProposalAmount(e.to_string()))?;
            let to = parse_account(
                "recipient",
                &m.recipient,
                DistributionError::EmptyProposalRecipient,
            )?;
            keeper.community_pool_spend(ctx, &to, &amount)?;
            Ok(MsgResponse::of(&MsgCommunityPoolSpendResponse {}))
        }
        MSG_DEPOSIT_VALIDATOR_REWARDS_POOL => {
            let m: MsgDepositValidatorRewardsPool = decode_msg(msg)?;
            let from = parse_account(
                "depositor",
                &m.depositor,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let val = parse_valoper(&m.validator_address)?;
            let amount = positive_coins("amount", &m.amount)?;
            let v = keeper
                .staking
                .validator(ctx, &val)?
                .ok_or_else(|| DistributionError::NoValidatorExists(valoper(&val)))?;
            keeper
                .bank
                .send_to_module(ctx, &from, MODULE_NAME, &amount)?;
            let tokens = DecCoins::from_coins(&amount).map_err(dc_err)?;
            keeper.allocate_tokens_to_validator(ctx, &v, &tokens)?;
            Ok(MsgResponse::of(&MsgDepositValidatorRewardsPoolResponse {}))
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized distribution message type: {other}"
        ))
        .into()),
    }
}

impl DistributionKeeper {
    pub(crate) fn check_authority(&self, got: &str) -> std::result::Result<(), DistributionError> {
        if authority(got)? != self.authority {
            return Err(DistributionError::InvalidAuthority {
                expected: self.authority.to_bech32(),
                got: got.to_string(),
            });
        }
        Ok(())
    }

    /// `MsgSetWithdrawAddress`: refused for blocked (module) addresses and when the params
    /// disable it.
    pub fn set_withdraw_addr(&self, ctx: &mut Ctx<'_>, del: &Address, to: &Address) -> Result<()> {
        if self.bank.is_blocked(to) || *to == Self::module_address() {
            return Err(DistributionError::Unauthorized(format!(
                "{to} is not allowed to receive external funds"
            ))
            .into());
        }
        if !self.params(ctx)?.withdraw_addr_enabled {
            return Err(DistributionError::SetWithdrawAddrDisabled.into());
        }
        ctx.emit(Event::new("set_withdraw_address").attr("withdraw_address", to.to_bech32()));
        self.store_withdraw_addr(ctx, del, to)
    }

    /// `MsgFundCommunityPool`: the coins move to the distribution module account and the
    /// community pool counts them.
    pub fn fund_community_pool(
        &self,
        ctx: &mut Ctx<'_>,
        from: &Address,
        amount: &Coins,
    ) -> Result<()> {
        self.bank.send_to_module(ctx, from, MODULE_NAME, amount)?;
        self.add_to_community_pool(ctx, &DecCoins::from_coins(amount).map_err(dc_err)?)
    }

    /// `MsgCommunityPoolSpend` (the SDK's `DistributeFromFeePool`).
    pub fn community_pool_spend(
        &self,
        ctx: &mut Ctx<'_>,
        to: &Address,
        amount: &Coins,
    ) -> Result<()> {
        if self.bank.is_blocked(to) {
            return Err(DistributionError::Unauthorized(format!(
                "{to} is not allowed to receive external funds"
            ))
            .into());
        }
        let pool = self.community_pool(ctx)?;
        let spend = DecCoins::from_coins(amount).map_err(dc_err)?;
        let left = pool.checked_sub(&spend).map_err(|_| {
            DistributionError::BadDistribution(format!("pool has {pool}, asked for {amount}"))
        })?;
        self.set_community_pool(ctx, &left)?;
        self.bank.send_from_module(ctx, MODULE_NAME, to, amount)
    }
}
