#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult, Uint128, to_json_binary,
};
use cw_utils::nonpayable;
use openledger_bindings::{OpenLedgerMsg, OpenLedgerQuerier, OpenLedgerQuery};

use crate::error::ContractError;
use crate::msg::{ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg, SnapshotResponse};
use crate::state::{CONFIG, Config, SNAPSHOT, Snapshot};

const CONTRACT_NAME: &str = "crates.io:extension-template";
const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

// Entry points take `Deps<OpenLedgerQuery>` to send custom queries and return
// `Response<OpenLedgerMsg>` to send custom messages.

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut<OpenLedgerQuery>,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    nonpayable(&info)?;
    // Fails with the chain's "datanet N not found" for a Datanet that does not exist.
    OpenLedgerQuerier::new(&deps.querier).datanet(msg.datanet_id)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(
        deps.storage,
        &Config {
            owner: info.sender,
            datanet_id: msg.datanet_id,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("datanet_id", msg.datanet_id.to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    nonpayable(&info)?;
    match msg {
        ExecuteMsg::Snapshot {} => snapshot(deps, env),
        ExecuteMsg::RequestInference {
            adapter_id,
            prompt,
            max_tokens,
            max_fee,
        } => request_inference(deps, info, adapter_id, prompt, max_tokens, max_fee),
    }
}

fn snapshot(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    let datanet_id = CONFIG.load(deps.storage)?.datanet_id;
    let datanet = OpenLedgerQuerier::new(&deps.querier).datanet(datanet_id)?;
    let snapshot = Snapshot {
        record_count: datanet.record_count,
        accepted_count: datanet.accepted_count,
        latest_version: datanet.latest_version,
        height: env.block.height,
    };
    SNAPSHOT.save(deps.storage, &snapshot)?;
    Ok(Response::new()
        .add_attribute("action", "snapshot")
        .add_attribute("record_count", snapshot.record_count.to_string())
        .add_attribute("latest_version", snapshot.latest_version.to_string()))
}

fn request_inference(
    deps: DepsMut<OpenLedgerQuery>,
    info: MessageInfo,
    adapter_id: u64,
    prompt: String,
    max_tokens: u32,
    max_fee: Uint128,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    if info.sender != CONFIG.load(deps.storage)?.owner {
        return Err(ContractError::Unauthorized {});
    }
    Ok(Response::new()
        .add_message(OpenLedgerMsg::RequestInference {
            adapter_id,
            prompt,
            max_tokens,
            max_fee,
        })
        .add_attribute("action", "request_inference")
        .add_attribute("adapter_id", adapter_id.to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps<OpenLedgerQuery>, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    let config = CONFIG.load(deps.storage)?;
    match msg {
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            owner: config.owner.into_string(),
            datanet_id: config.datanet_id,
        }),
        QueryMsg::Snapshot {} => to_json_binary(&SnapshotResponse {
            datanet_id: config.datanet_id,
            snapshot: SNAPSHOT.may_load(deps.storage)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, mock_env};
    use cosmwasm_std::{Coin, CosmosMsg, from_json};
    use openledger_bindings::DatanetResponse;
    use openledger_bindings::testing::{MockChain, mock_dependencies};

    pub fn datanet(id: u64, record_count: u64, latest_version: u64) -> DatanetResponse {
        DatanetResponse {
            id,
            owner: "open1owner".to_string(),
            name: "capitals".to_string(),
            description: "Capital cities".to_string(),
            schema: r#"{"type":"object"}"#.to_string(),
            curators: vec![],
            review_quorum: 1,
            contribution_bond: Coin::new(1_000_000u128, "uopen"),
            max_record_bytes: 4096,
            license: "CC-BY-4.0".to_string(),
            record_count,
            accepted_count: record_count / 2,
            latest_version,
        }
    }

    #[test]
    fn snapshot_stores_what_the_chain_reports() {
        let mut deps = mock_dependencies(MockChain::default().with_datanet(datanet(1, 12, 2)));
        let creator = deps.api.addr_make("creator");
        let mut env = mock_env();
        instantiate(
            deps.as_mut(),
            env.clone(),
            message_info(&creator, &[]),
            InstantiateMsg { datanet_id: 1 },
        )
        .unwrap();

        let before: SnapshotResponse =
            from_json(query(deps.as_ref(), env.clone(), QueryMsg::Snapshot {}).unwrap()).unwrap();
        assert_eq!(before.snapshot, None);

        env.block.height = 500;
        let anyone = deps.api.addr_make("anyone");
        execute(
            deps.as_mut(),
            env.clone(),
            message_info(&anyone, &[]),
            ExecuteMsg::Snapshot {},
        )
        .unwrap();
        let after: SnapshotResponse =
            from_json(query(deps.as_ref(), env, QueryMsg::Snapshot {}).unwrap()).unwrap();
        assert_eq!(
            after,
            SnapshotResponse {
                datanet_id: 1,
                snapshot: Some(Snapshot {
                    record_count: 12,
                    accepted_count: 6,
                    latest_version: 2,
                    height: 500,
                }),
            }
        );
    }

    #[test]
    fn unknown_datanet_is_rejected_at_instantiate() {
        let mut deps = mock_dependencies(MockChain::default());
        let creator = deps.api.addr_make("creator");
        let err = instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&creator, &[]),
            InstantiateMsg { datanet_id: 7 },
        )
        .unwrap_err();
        assert!(err.to_string().contains("datanet 7 not found"), "{err}");
    }

    #[test]
    fn only_the_owner_requests_inferences() {
        let mut deps = mock_dependencies(MockChain::default().with_datanet(datanet(1, 0, 0)));
        let creator = deps.api.addr_make("creator");
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&creator, &[]),
            InstantiateMsg { datanet_id: 1 },
        )
        .unwrap();
        let msg = ExecuteMsg::RequestInference {
            adapter_id: 3,
            prompt: "Name the capital of France.".to_string(),
            max_tokens: 16,
            max_fee: Uint128::new(5_000),
        };
        let stranger = deps.api.addr_make("stranger");
        let err = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&stranger, &[]),
            msg.clone(),
        )
        .unwrap_err();
        assert_eq!(err, ContractError::Unauthorized {});

        let res = execute(deps.as_mut(), mock_env(), message_info(&creator, &[]), msg).unwrap();
        assert_eq!(
            res.messages[0].msg,
            CosmosMsg::Custom(OpenLedgerMsg::RequestInference {
                adapter_id: 3,
                prompt: "Name the capital of France.".to_string(),
                max_tokens: 16,
                max_fee: Uint128::new(5_000),
            })
        );
    }
}
