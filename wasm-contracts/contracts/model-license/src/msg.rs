use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::Uint128;

/// Basis points in one whole: a share of 10000 bps is everything.
pub const BPS_DENOMINATOR: u16 = 10_000;

#[cw_serde]
pub struct InstantiateMsg {
    /// The denom of prices and payments; `uopen` when absent.
    pub denom: Option<String>,
}

/// How an adapter may be used and what it costs. Amounts are in the contract's denom.
#[cw_serde]
pub struct Terms {
    /// What a user without an active subscription pays per inference (0: free).
    pub price_per_inference: Uint128,
    /// Subscriptions for sale; `None` sells none.
    pub subscription: Option<SubscriptionTerms>,
    /// When set, only the owner and addresses on the allow-list may infer or subscribe.
    pub allow_list_only: bool,
    /// The share of the revenue this contract collects (subscriptions) that goes to the
    /// adapter's data contributors, in basis points (0..=10000), pro rata to the records each
    /// gave; the owner gets the rest. The attribution module may read it for per-call fees.
    pub contributor_share_bps: u16,
}

#[cw_serde]
pub struct SubscriptionTerms {
    /// Price of one subscription period.
    pub price: Uint128,
    /// Blocks one period lasts.
    pub duration_blocks: u64,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Sets (or replaces) an adapter's terms. Only the adapter's owner, as the chain's models
    /// module reports it, may do this.
    SetTerms { adapter_id: u64, terms: Terms },
    /// Buys one subscription period, paid with exactly its price; a period bought while one is
    /// running starts when that one ends.
    Subscribe { adapter_id: u64 },
    /// Adds `user` to an adapter's allow-list (owner only).
    Grant { adapter_id: u64, user: String },
    /// Removes `user` from an adapter's allow-list (owner only). Paid subscriptions stay.
    Revoke { adapter_id: u64, user: String },
    /// Sends the sender all the revenue it has accrued here.
    Withdraw {},
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Whether `user` may run an inference of the adapter now and what the chain must charge.
    #[returns(CanInferResponse)]
    CanInfer { adapter_id: u64, user: String },
    #[returns(TermsResponse)]
    Terms { adapter_id: u64 },
    #[returns(SubscriptionResponse)]
    Subscription { adapter_id: u64, user: String },
    /// The allow-list of an adapter, in address order, paginated.
    #[returns(AllowListResponse)]
    AllowList {
        adapter_id: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// What `address` may withdraw.
    #[returns(BalanceResponse)]
    Balance { address: String },
    #[returns(ConfigResponse)]
    Config {},
}

#[cw_serde]
pub struct MigrateMsg {}

/// `{"allowed":true,"price":"1000"}`. `price` is what the chain charges for this inference when
/// `allowed` (0 for the owner and for subscribers), or the price per inference when not.
#[cw_serde]
pub struct CanInferResponse {
    pub allowed: bool,
    pub price: Uint128,
}

#[cw_serde]
pub struct TermsResponse {
    pub adapter_id: u64,
    pub owner: String,
    pub terms: Terms,
}

#[cw_serde]
pub struct SubscriptionResponse {
    pub adapter_id: u64,
    pub user: String,
    /// Height at which the subscription ends (exclusive); `None` if the user never subscribed.
    pub expires_at: Option<u64>,
    pub active: bool,
}

#[cw_serde]
pub struct AllowListResponse {
    pub users: Vec<String>,
}

#[cw_serde]
pub struct BalanceResponse {
    pub address: String,
    pub amount: Uint128,
}

#[cw_serde]
pub struct ConfigResponse {
    pub denom: String,
}
