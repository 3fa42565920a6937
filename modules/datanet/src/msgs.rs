//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution.

use openledger_framework::{
    AbciError, Address, Ctx, MsgResponse, MsgServiceRouter, check_authority,
};
use openledger_proto::openledger::datanet::v1::{
    MsgContribute, MsgContributeResponse, MsgCreateDatanet, MsgCreateDatanetResponse,
    MsgCutVersion, MsgCutVersionResponse, MsgReview, MsgReviewResponse, MsgUpdateCurators,
    MsgUpdateCuratorsResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};

use crate::{DatanetError, DatanetKeeper};

fn datanet_id(id: u64) -> Result<(), AbciError> {
    if id == 0 {
        return Err(DatanetError::InvalidRequest("datanet id must be positive".into()).into());
    }
    Ok(())
}

/// Routes datanet's messages to their handlers.
pub fn register(keeper: DatanetKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_create_datanet, move |ctx, m| {
        create_datanet(&k, ctx, m)
    });
    let k = keeper.clone();
    router.add(validate_contribute, move |ctx, m| contribute(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_review, move |ctx, m| review(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_cut_version, move |ctx, m| cut_version(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_update_curators, move |ctx, m| {
        update_curators(&k, ctx, m)
    });
    router.add(validate_update_params, move |ctx, m| {
        update_params(&keeper, ctx, m)
    });
}

fn validate_create_datanet(m: &MsgCreateDatanet) -> Result<Vec<Address>, AbciError> {
    Ok(vec![Address::from_field("owner", &m.owner)?])
}

fn create_datanet(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgCreateDatanet,
) -> Result<MsgResponse, AbciError> {
    let datanet_id = keeper.create(ctx, &m)?;
    Ok(MsgResponse::of(&MsgCreateDatanetResponse { datanet_id }))
}

fn validate_contribute(m: &MsgContribute) -> Result<Vec<Address>, AbciError> {
    datanet_id(m.datanet_id)?;
    if m.records.is_empty() {
        return Err(DatanetError::InvalidRequest("no records to contribute".into()).into());
    }
    Ok(vec![Address::from_field("contributor", &m.contributor)?])
}

fn contribute(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgContribute,
) -> Result<MsgResponse, AbciError> {
    let record_ids = keeper.contribute(ctx, &m)?;
    Ok(MsgResponse::of(&MsgContributeResponse { record_ids }))
}

fn validate_review(m: &MsgReview) -> Result<Vec<Address>, AbciError> {
    datanet_id(m.datanet_id)?;
    if m.record_ids.is_empty() {
        return Err(DatanetError::InvalidRequest("no records to review".into()).into());
    }
    Ok(vec![Address::from_field("curator", &m.curator)?])
}

fn review(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgReview,
) -> Result<MsgResponse, AbciError> {
    let (accepted, rejected) = keeper.review(ctx, &m)?;
    Ok(MsgResponse::of(&MsgReviewResponse { accepted, rejected }))
}

fn validate_cut_version(m: &MsgCutVersion) -> Result<Vec<Address>, AbciError> {
    datanet_id(m.datanet_id)?;
    Ok(vec![Address::from_field("owner", &m.owner)?])
}

fn cut_version(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgCutVersion,
) -> Result<MsgResponse, AbciError> {
    let v = keeper.cut_version(ctx, &m.owner, m.datanet_id)?;
    Ok(MsgResponse::of(&MsgCutVersionResponse {
        version: v.version,
        root: v.root,
        record_count: v.record_count,
    }))
}

fn validate_update_curators(m: &MsgUpdateCurators) -> Result<Vec<Address>, AbciError> {
    datanet_id(m.datanet_id)?;
    Ok(vec![Address::from_field("owner", &m.owner)?])
}

fn update_curators(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateCurators,
) -> Result<MsgResponse, AbciError> {
    keeper.update_curators(ctx, &m)?;
    Ok(MsgResponse::of(&MsgUpdateCuratorsResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    Ok(vec![Address::from_field("authority", &m.authority)?])
}

fn update_params(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    check_authority(&keeper.authority(), &m.authority)?;
    let p = m
        .params
        .ok_or_else(|| DatanetError::InvalidRequest("params are required".into()))?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
