//! `cosmos.distribution.v1beta1.Msg`, registered by type in [`register`]: for each message a
//! stateless check that returns the signers, and its execution. Each message runs in a branch,
//! so a failing one changes nothing.

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::distribution::v1beta1::{
    MsgCommunityPoolSpend, MsgCommunityPoolSpendResponse, MsgDepositValidatorRewardsPool,
    MsgDepositValidatorRewardsPoolResponse, MsgFundCommunityPool, MsgFundCommunityPoolResponse,
    MsgSetWithdrawAddress, MsgSetWithdrawAddressResponse, MsgUpdateParams, MsgUpdateParamsResponse,
    MsgWithdrawDelegatorReward, MsgWithdrawDelegatorRewardResponse, MsgWithdrawValidatorCommission,
    MsgWithdrawValidatorCommissionResponse,
};
use openledger_framework::address::VALOPER_PREFIX;
use openledger_framework::{
    Address, Coins, Ctx, Event, MsgResponse, MsgServiceRouter, Result, check_authority,
};
use openledger_staking::valoper;

use crate::dec_coins::DecCoins;
use crate::keeper::dc_err;
use crate::params::Params;
use crate::{DistributionError, DistributionKeeper, MODULE_NAME};

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

/// Routes distribution's messages to their handlers; each delivery runs in a branch of `ctx`.
pub fn register(keeper: DistributionKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_set_withdraw_address, move |ctx, m| {
        ctx.branch(|ctx| set_withdraw_address(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(validate_withdraw_delegator_reward, move |ctx, m| {
        ctx.branch(|ctx| withdraw_delegator_reward(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(
        // The operator signs with the account of the same bytes.
        |m: &MsgWithdrawValidatorCommission| Ok(vec![parse_valoper(&m.validator_address)?]),
        move |ctx, m| ctx.branch(|ctx| withdraw_validator_commission(&k, ctx, m)),
    );
    let k = keeper.clone();
    router.add(validate_fund_community_pool, move |ctx, m| {
        ctx.branch(|ctx| fund_community_pool(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(validate_update_params, move |ctx, m| {
        ctx.branch(|ctx| update_params(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(validate_community_pool_spend, move |ctx, m| {
        ctx.branch(|ctx| community_pool_spend(&k, ctx, m))
    });
    router.add(validate_deposit_validator_rewards_pool, move |ctx, m| {
        ctx.branch(|ctx| deposit_validator_rewards_pool(&keeper, ctx, m))
    });
}

fn validate_set_withdraw_address(m: &MsgSetWithdrawAddress) -> Result<Vec<Address>> {
    parse_account(
        "withdraw",
        &m.withdraw_address,
        DistributionError::EmptyWithdrawAddr,
    )?;
    Ok(vec![parse_account(
        "delegator",
        &m.delegator_address,
        DistributionError::EmptyDelegatorAddr,
    )?])
}

fn set_withdraw_address(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgSetWithdrawAddress,
) -> Result<MsgResponse> {
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

fn validate_withdraw_delegator_reward(m: &MsgWithdrawDelegatorReward) -> Result<Vec<Address>> {
    parse_valoper(&m.validator_address)?;
    Ok(vec![parse_account(
        "delegator",
        &m.delegator_address,
        DistributionError::EmptyDelegatorAddr,
    )?])
}

fn withdraw_delegator_reward(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgWithdrawDelegatorReward,
) -> Result<MsgResponse> {
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

fn withdraw_validator_commission(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgWithdrawValidatorCommission,
) -> Result<MsgResponse> {
    let val = parse_valoper(&m.validator_address)?;
    let amount = keeper.withdraw_validator_commission(ctx, &val)?;
    Ok(MsgResponse::of(&MsgWithdrawValidatorCommissionResponse {
        amount: amount.to_proto(),
    }))
}

fn validate_fund_community_pool(m: &MsgFundCommunityPool) -> Result<Vec<Address>> {
    positive_coins("amount", &m.amount)?;
    Ok(vec![parse_account(
        "depositor",
        &m.depositor,
        DistributionError::EmptyDelegatorAddr,
    )?])
}

fn fund_community_pool(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgFundCommunityPool,
) -> Result<MsgResponse> {
    let from = parse_account(
        "depositor",
        &m.depositor,
        DistributionError::EmptyDelegatorAddr,
    )?;
    let amount = positive_coins("amount", &m.amount)?;
    keeper.fund_community_pool(ctx, &from, &amount)?;
    Ok(MsgResponse::of(&MsgFundCommunityPoolResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>> {
    params_of(m.params.as_ref())?;
    Ok(vec![authority(&m.authority)?])
}

fn update_params(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse> {
    check_authority(&keeper.authority(), &m.authority)?;
    let p = params_of(m.params.as_ref())?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}

fn validate_community_pool_spend(m: &MsgCommunityPoolSpend) -> Result<Vec<Address>> {
    positive_coins("amount", &m.amount)
        .map_err(|e| DistributionError::InvalidProposalAmount(e.to_string()))?;
    parse_account(
        "recipient",
        &m.recipient,
        DistributionError::EmptyProposalRecipient,
    )?;
    Ok(vec![authority(&m.authority)?])
}

fn community_pool_spend(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgCommunityPoolSpend,
) -> Result<MsgResponse> {
    check_authority(&keeper.authority(), &m.authority)?;
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

fn validate_deposit_validator_rewards_pool(
    m: &MsgDepositValidatorRewardsPool,
) -> Result<Vec<Address>> {
    parse_valoper(&m.validator_address)?;
    positive_coins("amount", &m.amount)?;
    Ok(vec![parse_account(
        "depositor",
        &m.depositor,
        DistributionError::EmptyDelegatorAddr,
    )?])
}

fn deposit_validator_rewards_pool(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgDepositValidatorRewardsPool,
) -> Result<MsgResponse> {
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

impl DistributionKeeper {
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
