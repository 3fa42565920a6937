//! `query mint`: params, inflation and annual provisions (`cosmos.mint.v1beta1.Query`).

use clap::Subcommand;
use cosmrs::proto::cosmos::mint::v1beta1 as mint;
use serde_json::{Value, json};

use super::common::QueryCtx;
use super::output::{bytes_dec, cosmos_json};
use crate::client::status;

#[derive(Subcommand)]
pub enum MintQuery {
    Params,
    Inflation,
    AnnualProvisions,
}

pub async fn query(q: &QueryCtx, cmd: MintQuery) -> anyhow::Result<Value> {
    let mut c = mint::query_client::QueryClient::new(q.channel().await?);
    match cmd {
        MintQuery::Params => cosmos_json(
            &c.params(mint::QueryParamsRequest {})
                .await
                .map_err(status)?
                .into_inner(),
        ),
        MintQuery::Inflation => {
            let r = c
                .inflation(mint::QueryInflationRequest {})
                .await
                .map_err(status)?
                .into_inner();
            Ok(json!({ "inflation": bytes_dec(&r.inflation).unwrap_or_default() }))
        }
        MintQuery::AnnualProvisions => {
            let r = c
                .annual_provisions(mint::QueryAnnualProvisionsRequest {})
                .await
                .map_err(status)?
                .into_inner();
            Ok(json!({ "annual_provisions": bytes_dec(&r.annual_provisions).unwrap_or_default() }))
        }
    }
}
