//! Inference requests: acceptance with the fee escrowed, refunds after the timeout, and the job
//! an engine runs for a pending request.

use openledger_framework::{Address, Coin, Coins, Ctx, Event, StateRead};
use openledger_proto::openledger::attribution::v1::{
    InferenceRequest, MsgRequestInference, RequestStatus,
};
use openledger_proto::openledger::models::v1::{Adapter, BaseModel};
use prost::Message;

use crate::{AttributionError, AttributionKeeper, MODULE_ACCOUNT, Result, keys, parse_address};

/// Everything an engine needs from chain state to run a request: the request, the adapter with
/// its weights, its base model, and the records of the Datanet version it was trained on.
#[derive(Debug, Clone)]
pub struct InferenceJob {
    pub request: InferenceRequest,
    pub adapter: Adapter,
    /// The adapter's weights as published (safetensors).
    pub weights: Vec<u8>,
    pub base_model: BaseModel,
    /// `(record id, JSON content)` of the version, ascending by id.
    pub records: Vec<(u64, String)>,
}

impl AttributionKeeper {
    /// Accepts a request: checks it, prices it, escrows the fee and stores it pending. Returns
    /// the request id and the fee.
    pub fn request_inference(
        &self,
        ctx: &mut Ctx<'_>,
        msg: &MsgRequestInference,
    ) -> Result<(u64, Coin)> {
        let p = self.params(ctx)?;
        let sender = parse_address("sender", &msg.sender)?;
        if msg.prompt.trim().is_empty() {
            return Err(AttributionError::Invalid("prompt must not be empty".into()).into());
        }
        if msg.prompt.len() > p.max_prompt_bytes as usize {
            return Err(AttributionError::Invalid(format!(
                "prompt is {} bytes, over the limit of {}",
                msg.prompt.len(),
                p.max_prompt_bytes
            ))
            .into());
        }
        if msg.max_tokens > p.max_tokens {
            return Err(AttributionError::Invalid(format!(
                "max_tokens {} is over the limit of {}",
                msg.max_tokens, p.max_tokens
            ))
            .into());
        }
        let max_tokens = if msg.max_tokens == 0 {
            p.max_tokens
        } else {
            msg.max_tokens
        };
        let max_fee = msg
            .max_fee
            .as_ref()
            .ok_or_else(|| AttributionError::Invalid("max_fee is required".into()))
            .and_then(|c| {
                Coin::from_proto(c).map_err(|e| AttributionError::Invalid(format!("max_fee: {e}")))
            })?;
        let adapter = self.models.must_adapter(ctx, msg.adapter_id)?;
        let fee = if adapter.license_contract.is_empty() {
            let price = p
                .default_price
                .as_ref()
                .ok_or_else(|| AttributionError::Corrupt("params without default_price".into()))?;
            Coin::from_proto(price).map_err(|e| AttributionError::Corrupt(e.to_string()))?
        } else {
            let licences = self
                .licences
                .get()
                .ok_or_else(|| AttributionError::Licence {
                    contract: adapter.license_contract.clone(),
                    reason: "licence contracts cannot be queried on this node".into(),
                })?;
            let answer = licences.can_infer(ctx, &adapter.license_contract, adapter.id, &sender)?;
            if !answer.allowed {
                return Err(AttributionError::LicenceDenied {
                    contract: adapter.license_contract.clone(),
                    adapter: adapter.id,
                    user: msg.sender.clone(),
                }
                .into());
            }
            answer.price
        };
        if fee.amount > 0 && (fee.denom != max_fee.denom || fee.amount > max_fee.amount) {
            return Err(AttributionError::FeeTooHigh {
                fee: format!("{}{}", fee.amount, fee.denom),
                max_fee: format!("{}{}", max_fee.amount, max_fee.denom),
            }
            .into());
        }
        if fee.amount > 0 {
            let coins = Coins::from_vec(vec![fee.clone()])
                .map_err(|e| AttributionError::Invalid(e.to_string()))?;
            self.bank
                .send_to_module(ctx, &sender, MODULE_ACCOUNT, &coins)?;
        }
        let id = self.next_request_id(ctx)?;
        let height = ctx.block.height;
        let request = InferenceRequest {
            id,
            sender: msg.sender.clone(),
            adapter_id: adapter.id,
            prompt: msg.prompt.clone(),
            max_tokens,
            fee: Some(fee.to_proto()),
            height,
            timeout_height: height.saturating_add(p.timeout_blocks),
            status: RequestStatus::Pending as i32,
            finalized_height: 0,
        };
        self.save_request(ctx, &request)?;
        ctx.set(keys::pending(id), Vec::new())?;
        ctx.set(keys::timeout(request.timeout_height, id), Vec::new())?;
        ctx.emit(
            Event::new("request_inference")
                .attr("request_id", id.to_string())
                .attr("adapter_id", adapter.id.to_string())
                .attr("sender", msg.sender.clone())
                .attr("fee", format!("{}{}", fee.amount, fee.denom))
                .attr("timeout_height", request.timeout_height.to_string()),
        );
        Ok((id, fee))
    }

    fn next_request_id(&self, ctx: &mut Ctx<'_>) -> Result<u64> {
        let key = keys::next_request_id();
        let id = match ctx.get(key)? {
            Some(b) => u64::from_be_bytes(
                b.try_into()
                    .map_err(|_| AttributionError::Corrupt(key.to_string()))?,
            ),
            None => 1,
        };
        ctx.set(key.to_string(), (id + 1).to_be_bytes().to_vec())?;
        Ok(id)
    }

    pub(crate) fn save_request(&self, ctx: &mut Ctx<'_>, r: &InferenceRequest) -> Result<()> {
        ctx.set(keys::request(r.id), r.encode_to_vec())
    }

    /// Marks a pending request finalized (attributed or refunded) and drops it from the indexes.
    pub(crate) fn finalize_request(
        &self,
        ctx: &mut Ctx<'_>,
        request: &mut InferenceRequest,
        status: RequestStatus,
    ) -> Result<()> {
        request.status = status as i32;
        request.finalized_height = ctx.block.height;
        ctx.delete(keys::pending(request.id))?;
        ctx.delete(keys::timeout(request.timeout_height, request.id))?;
        self.save_request(ctx, request)
    }

    /// End block: refunds every pending request whose last answerable height has passed.
    pub fn refund_expired(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let height = ctx.block.height;
        let due: Vec<u64> = ctx
            .prefix(keys::all_timeouts())?
            .into_iter()
            .filter_map(|(k, _)| {
                let rest = k.strip_prefix(keys::all_timeouts())?;
                let (h, id) = rest.split_once('/')?;
                let h: u64 = h.parse().ok()?;
                (h <= height).then(|| id.parse().ok()).flatten()
            })
            .collect();
        for id in due {
            let mut request = self.must_request(ctx, id)?;
            let sender = parse_address("sender", &request.sender)?;
            if let Some(fee) = &request.fee {
                let fee =
                    Coin::from_proto(fee).map_err(|e| AttributionError::Corrupt(e.to_string()))?;
                if fee.amount > 0 {
                    let coins = Coins::from_vec(vec![fee])
                        .map_err(|e| AttributionError::Corrupt(e.to_string()))?;
                    self.bank
                        .send_from_module(ctx, MODULE_ACCOUNT, &sender, &coins)?;
                }
            }
            self.finalize_request(ctx, &mut request, RequestStatus::Refunded)?;
            ctx.emit(
                Event::new("refund_inference")
                    .attr("request_id", id.to_string())
                    .attr("sender", request.sender.clone()),
            );
        }
        Ok(())
    }

    /// The job of a pending request, read from (committed) state.
    pub fn job(&self, r: &mut impl StateRead, request_id: u64) -> Result<InferenceJob> {
        let request = self.must_request(r, request_id)?;
        let (adapter, weights) = self.models.weights(r, request.adapter_id)?;
        let base_model = self.models.must_base_model(r, adapter.base_model_id)?;
        let version = self
            .datanets
            .must_version(r, adapter.datanet_id, adapter.datanet_version)?;
        let mut records = Vec::with_capacity(version.record_ids.len());
        for &id in &version.record_ids {
            let rec = self.datanets.must_record(r, adapter.datanet_id, id)?;
            records.push((id, rec.content));
        }
        Ok(InferenceJob {
            request,
            adapter,
            weights,
            base_model,
            records,
        })
    }

    /// The contributor of a record of the adapter's version, if it is one.
    pub(crate) fn contributor_in_version(
        &self,
        r: &mut impl StateRead,
        adapter: &Adapter,
        version_ids: &[u64],
        record_id: u64,
    ) -> Result<Option<Address>> {
        if version_ids.binary_search(&record_id).is_err() {
            return Ok(None);
        }
        match self.datanets.record(r, adapter.datanet_id, record_id)? {
            None => Ok(None),
            Some(rec) => Ok(Some(parse_address("contributor", &rec.contributor)?)),
        }
    }
}
