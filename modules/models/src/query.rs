//! `openledger.models.v1.Query`, answered from a state snapshot.

use openledger_framework::pagination::paginate;
use openledger_framework::{AbciError, KvRead, QueryRouter};
use openledger_proto::openledger::models::v1::*;
use prost::Message;

use crate::{ModelsError, ModelsKeeper, keys};

fn decoded<M: Message + Default>(
    s: &dyn KvRead,
    prefix: &str,
) -> Result<Vec<(String, M)>, AbciError> {
    s.prefix(prefix)?
        .into_iter()
        .map(|(key, v)| {
            let m =
                M::decode(v.as_slice()).map_err(|e| ModelsError::Corrupt(format!("{key}: {e}")))?;
            Ok((key, m))
        })
        .collect()
}

pub fn register(keeper: ModelsKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        "/openledger.models.v1.Query/Params",
        move |s: &dyn KvRead, _: QueryParamsRequest| {
            let mut s = s;
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.models.v1.Query/BaseModel",
        move |s: &dyn KvRead, req: QueryBaseModelRequest| {
            let mut s = s;
            Ok(QueryBaseModelResponse {
                base_model: Some(k.must_base_model(&mut s, req.id)?),
            })
        },
    );
    r.add(
        "/openledger.models.v1.Query/BaseModels",
        move |s: &dyn KvRead, req: QueryBaseModelsRequest| {
            let items = decoded::<BaseModel>(s, keys::all_base_models())?;
            let (base_models, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryBaseModelsResponse {
                base_models,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.models.v1.Query/Adapter",
        move |s: &dyn KvRead, req: QueryAdapterRequest| {
            let mut s = s;
            Ok(QueryAdapterResponse {
                adapter: Some(k.must_adapter(&mut s, req.id)?),
            })
        },
    );
    r.add(
        "/openledger.models.v1.Query/Adapters",
        move |s: &dyn KvRead, req: QueryAdaptersRequest| {
            let items: Vec<(String, Adapter)> = decoded::<Adapter>(s, keys::all_adapters())?
                .into_iter()
                .filter(|(_, a)| req.base_model_id == 0 || a.base_model_id == req.base_model_id)
                .filter(|(_, a)| req.datanet_id == 0 || a.datanet_id == req.datanet_id)
                .collect();
            let (adapters, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryAdaptersResponse {
                adapters,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.models.v1.Query/AdapterWeights",
        move |s: &dyn KvRead, req: QueryAdapterWeightsRequest| {
            let mut s = s;
            let (a, weights) = k.weights(&mut s, req.id)?;
            Ok(QueryAdapterWeightsResponse {
                weights,
                weights_sha256: a.weights_sha256,
            })
        },
    );
    let k = keeper;
    r.add(
        "/openledger.models.v1.Query/Provenance",
        move |s: &dyn KvRead, req: QueryProvenanceRequest| {
            let mut s = s;
            k.provenance(&mut s, req.adapter_id)
        },
    );
}
