use cosmwasm_schema::cw_serde;
use cosmwasm_std::{CosmosMsg, CustomMsg, Uint128};

/// Messages a contract asks the chain to execute, as `CosmosMsg::Custom`.
///
/// The contract itself is the sender: the chain charges it, not the user who called it.
#[cw_serde]
pub enum OpenLedgerMsg {
    /// Requests a paid inference of an adapter, as `MsgRequestInference` does.
    ///
    /// ```json
    /// {"request_inference":{"adapter_id":3,"prompt":"Name the capital of France.","max_tokens":32,"max_fee":"250000"}}
    /// ```
    ///
    /// The chain asks the adapter's licence contract whether the contract may use it and at what
    /// price, escrows that fee (at most `max_fee` uopen) from the contract's balance and stores
    /// the request as pending; its result and attribution come in later blocks.
    RequestInference {
        adapter_id: u64,
        prompt: String,
        max_tokens: u32,
        /// The most the contract pays, in uopen.
        max_fee: Uint128,
    },
}

impl CustomMsg for OpenLedgerMsg {}

impl From<OpenLedgerMsg> for CosmosMsg<OpenLedgerMsg> {
    fn from(msg: OpenLedgerMsg) -> Self {
        CosmosMsg::Custom(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_string};

    #[test]
    fn request_inference_json_shape() {
        let msg = OpenLedgerMsg::RequestInference {
            adapter_id: 3,
            prompt: "Name the capital of France.".to_string(),
            max_tokens: 32,
            max_fee: Uint128::new(250_000),
        };
        let json = r#"{"request_inference":{"adapter_id":3,"prompt":"Name the capital of France.","max_tokens":32,"max_fee":"250000"}}"#;
        assert_eq!(to_json_string(&msg).unwrap(), json);
        assert_eq!(from_json::<OpenLedgerMsg>(json).unwrap(), msg);

        let cosmos: CosmosMsg<OpenLedgerMsg> = msg.into();
        assert_eq!(
            to_json_string(&cosmos).unwrap(),
            format!(r#"{{"custom":{}}}"#, json)
        );
    }
}
