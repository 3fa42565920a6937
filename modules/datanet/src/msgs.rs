//! Message handlers: stateless checks in [`validate`], execution in [`deliver`].

use cosmrs::Any;
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Ctx, MsgResponse, decode_msg};
use openledger_proto::openledger::datanet::v1::{
    MsgContribute, MsgContributeResponse, MsgCreateDatanet, MsgCreateDatanetResponse,
    MsgCutVersion, MsgCutVersionResponse, MsgReview, MsgReviewResponse, MsgUpdateCurators,
    MsgUpdateCuratorsResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};

use crate::{DatanetError, DatanetKeeper};

pub const MSG_CREATE_DATANET: &str = "/openledger.datanet.v1.MsgCreateDatanet";
pub const MSG_CONTRIBUTE: &str = "/openledger.datanet.v1.MsgContribute";
pub const MSG_REVIEW: &str = "/openledger.datanet.v1.MsgReview";
pub const MSG_CUT_VERSION: &str = "/openledger.datanet.v1.MsgCutVersion";
pub const MSG_UPDATE_CURATORS: &str = "/openledger.datanet.v1.MsgUpdateCurators";
pub const MSG_UPDATE_PARAMS: &str = "/openledger.datanet.v1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[
    MSG_CREATE_DATANET,
    MSG_CONTRIBUTE,
    MSG_REVIEW,
    MSG_CUT_VERSION,
    MSG_UPDATE_CURATORS,
    MSG_UPDATE_PARAMS,
];

fn address(field: &str, s: &str) -> Result<Address, AbciError> {
    Address::from_bech32(s)
        .map_err(|e| SdkError::InvalidAddress(format!("invalid {field} address: {e}")).into())
}

fn datanet_id(id: u64) -> Result<(), AbciError> {
    if id == 0 {
        return Err(DatanetError::InvalidRequest("datanet id must be positive".into()).into());
    }
    Ok(())
}

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_CREATE_DATANET => {
            let m: MsgCreateDatanet = decode_msg(msg)?;
            Ok(vec![address("owner", &m.owner)?])
        }
        MSG_CONTRIBUTE => {
            let m: MsgContribute = decode_msg(msg)?;
            datanet_id(m.datanet_id)?;
            if m.records.is_empty() {
                return Err(DatanetError::InvalidRequest("no records to contribute".into()).into());
            }
            Ok(vec![address("contributor", &m.contributor)?])
        }
        MSG_REVIEW => {
            let m: MsgReview = decode_msg(msg)?;
            datanet_id(m.datanet_id)?;
            if m.record_ids.is_empty() {
                return Err(DatanetError::InvalidRequest("no records to review".into()).into());
            }
            Ok(vec![address("curator", &m.curator)?])
        }
        MSG_CUT_VERSION => {
            let m: MsgCutVersion = decode_msg(msg)?;
            datanet_id(m.datanet_id)?;
            Ok(vec![address("owner", &m.owner)?])
        }
        MSG_UPDATE_CURATORS => {
            let m: MsgUpdateCurators = decode_msg(msg)?;
            datanet_id(m.datanet_id)?;
            Ok(vec![address("owner", &m.owner)?])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            Ok(vec![address("authority", &m.authority)?])
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized datanet message type: {other}"
        ))
        .into()),
    }
}

pub fn deliver(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_CREATE_DATANET => {
            let m: MsgCreateDatanet = decode_msg(msg)?;
            let datanet_id = keeper.create(ctx, &m)?;
            Ok(MsgResponse::of(&MsgCreateDatanetResponse { datanet_id }))
        }
        MSG_CONTRIBUTE => {
            let m: MsgContribute = decode_msg(msg)?;
            let record_ids = keeper.contribute(ctx, &m)?;
            Ok(MsgResponse::of(&MsgContributeResponse { record_ids }))
        }
        MSG_REVIEW => {
            let m: MsgReview = decode_msg(msg)?;
            let (accepted, rejected) = keeper.review(ctx, &m)?;
            Ok(MsgResponse::of(&MsgReviewResponse { accepted, rejected }))
        }
        MSG_CUT_VERSION => {
            let m: MsgCutVersion = decode_msg(msg)?;
            let v = keeper.cut_version(ctx, &m.owner, m.datanet_id)?;
            Ok(MsgResponse::of(&MsgCutVersionResponse {
                version: v.version,
                root: v.root,
                record_count: v.record_count,
            }))
        }
        MSG_UPDATE_CURATORS => {
            let m: MsgUpdateCurators = decode_msg(msg)?;
            keeper.update_curators(ctx, &m)?;
            Ok(MsgResponse::of(&MsgUpdateCuratorsResponse {}))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let authority = address("authority", &m.authority)?;
            if authority != keeper.authority() {
                return Err(DatanetError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: m.authority,
                }
                .into());
            }
            let p = m
                .params
                .ok_or_else(|| DatanetError::InvalidRequest("params are required".into()))?;
            keeper.set_params(ctx, &p)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized datanet message type: {other}"
        ))
        .into()),
    }
}
