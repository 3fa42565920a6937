//! FinalizeBlock's part: the verified extended commit of the previous height becomes attribution
//! records, paid out at once, with this block's Merkle root of them.

use std::collections::BTreeMap;

use openledger_framework::{Address, Coin, Coins, Ctx, Event};
use openledger_proto::openledger::attribution::v1::{
    AttributionRecord, BlockRoot, InferenceRequest, Params, RecordAttribution, Reporter,
    RequestStatus,
};
use prost::Message;

use crate::aggregate::{Agreement, Report, aggregate};
use crate::extension::VerifiedCommit;
use crate::payout::payouts;
use crate::{
    AttributionError, AttributionKeeper, MODULE_ACCOUNT, Result, keys, parse_address, proof,
};

impl AttributionKeeper {
    /// Applies the validators' reports of the previous height: every pending request with an
    /// agreement of more than 2/3 of the power gets its attribution record and is paid out. Returns the records, in leaf
    /// order; their block root is stored when there is at least one.
    pub fn apply_extended_commit(
        &self,
        ctx: &mut Ctx<'_>,
        commit: &VerifiedCommit,
    ) -> Result<Vec<AttributionRecord>> {
        let p = self.params(ctx)?;
        let mut by_request: BTreeMap<u64, Vec<Report<'_>>> = BTreeMap::new();
        for signed in &commit.extensions {
            let Some(ext) = &signed.extension else {
                continue;
            };
            for result in &ext.results {
                by_request
                    .entry(result.request_id)
                    .or_default()
                    .push(Report {
                        validator: signed.validator,
                        power: signed.power,
                        result,
                    });
            }
        }
        let mut records = Vec::new();
        for (id, reports) in by_request {
            let Some(mut request) = self.request(ctx, id)? else {
                continue;
            };
            if request.status != RequestStatus::Pending as i32 {
                continue;
            }
            let Some(agreement) = aggregate(&reports, commit.total_power, p.top_k as usize) else {
                continue;
            };
            let leaf_index = records.len() as u64;
            records.push(self.attribute(ctx, &p, &mut request, agreement, leaf_index)?);
        }
        if !records.is_empty() {
            let root = BlockRoot {
                height: ctx.block.height,
                root: proof::root(&records).to_vec(),
                request_ids: records.iter().map(|r| r.request_id).collect(),
            };
            ctx.set(keys::block_root(root.height), root.encode_to_vec())?;
            ctx.emit(
                Event::new("attribution_block_root")
                    .attr("height", root.height.to_string())
                    .attr("root", hex::encode(&root.root))
                    .attr("records", records.len().to_string()),
            );
        }
        Ok(records)
    }

    /// Stores the record of one agreed request and pays its fee out.
    fn attribute(
        &self,
        ctx: &mut Ctx<'_>,
        p: &Params,
        request: &mut InferenceRequest,
        agreement: Agreement,
        leaf_index: u64,
    ) -> Result<AttributionRecord> {
        let adapter = self.models.must_adapter(ctx, request.adapter_id)?;
        let version =
            self.datanets
                .must_version(ctx, adapter.datanet_id, adapter.datanet_version)?;
        // Records of the adapter's version only: an id a validator made up is dropped.
        let mut scores = Vec::new();
        let mut contributors = Vec::new();
        for (record_id, score) in agreement.scores {
            if let Some(c) =
                self.contributor_in_version(ctx, &adapter, &version.record_ids, record_id)?
            {
                scores.push(RecordAttribution {
                    record_id,
                    contributor: c.to_bech32(),
                    score,
                    reward: "0".into(),
                });
                contributors.push(c);
            }
        }
        let mut reporters = Vec::new();
        let mut operators = Vec::new();
        for (cons, power) in &agreement.reporters {
            let v = self.staking.validator_by_cons_addr(ctx, cons)?;
            operators.push(v.as_ref().map(|v| v.operator));
            reporters.push(Reporter {
                validator: cons.with_prefix("openvalcons"),
                operator: v
                    .as_ref()
                    .map(|v| v.operator.with_prefix("openvaloper"))
                    .unwrap_or_default(),
                power: *power,
                reward: "0".into(),
            });
        }

        let fee = match &request.fee {
            Some(f) => Coin::from_proto(f).map_err(|e| AttributionError::Corrupt(e.to_string()))?,
            None => Coin::new(0, "uopen"),
        };
        let weights: Vec<u128> = scores.iter().map(|s| s.score.max(0) as u128).collect();
        let powers: Vec<u128> = agreement
            .reporters
            .iter()
            .zip(&operators)
            .map(|((_, power), op)| {
                if op.is_some() {
                    (*power).max(0) as u128
                } else {
                    0
                }
            })
            .collect();
        let split = payouts(
            fee.amount,
            (p.contributors_bps, p.owner_bps, p.validators_bps),
            &weights,
            &powers,
        );

        // Pay: per contributor (summed over its records), the owner, each operator.
        let mut to_contributors: BTreeMap<Address, u128> = BTreeMap::new();
        for ((s, c), amount) in scores
            .iter_mut()
            .zip(&contributors)
            .zip(&split.contributors)
        {
            s.reward = amount.to_string();
            *to_contributors.entry(*c).or_default() += amount;
        }
        let owner = parse_address("owner", &adapter.owner)?;
        self.pay(ctx, &owner, &fee.denom, split.owner)?;
        for (c, amount) in &to_contributors {
            self.pay(ctx, c, &fee.denom, *amount)?;
            if *amount > 0 {
                self.add_earnings(ctx, c, *amount)?;
            }
        }
        for ((r, op), amount) in reporters.iter_mut().zip(&operators).zip(&split.validators) {
            r.reward = amount.to_string();
            if let Some(op) = op {
                self.pay(ctx, op, &fee.denom, *amount)?;
            }
        }

        let record = AttributionRecord {
            request_id: request.id,
            adapter_id: adapter.id,
            requester: request.sender.clone(),
            prompt: request.prompt.clone(),
            output: agreement.output,
            output_sha256: agreement.output_sha256,
            scores,
            reporters,
            height: ctx.block.height,
            fee: Some(fee.to_proto()),
            owner: adapter.owner.clone(),
            owner_reward: split.owner.to_string(),
            leaf_index,
            positive_sum: agreement.positive_sum,
        };
        ctx.set(keys::record(request.id), record.encode_to_vec())?;
        ctx.set(keys::by_adapter(adapter.id, request.id), Vec::new())?;
        for c in contributors
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            ctx.set(keys::by_contributor(c, request.id), Vec::new())?;
        }
        self.finalize_request(ctx, request, RequestStatus::Attributed)?;
        ctx.emit(
            Event::new("attribution")
                .attr("request_id", request.id.to_string())
                .attr("adapter_id", adapter.id.to_string())
                .attr("output_sha256", hex::encode(&record.output_sha256))
                .attr("records", record.scores.len().to_string())
                .attr("reporters", record.reporters.len().to_string())
                .attr("fee", format!("{}{}", fee.amount, fee.denom)),
        );
        Ok(record)
    }

    fn pay(&self, ctx: &mut Ctx<'_>, to: &Address, denom: &str, amount: u128) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        let coins = Coins::from_vec(vec![Coin::new(amount, denom)])
            .map_err(|e| AttributionError::Corrupt(e.to_string()))?;
        self.bank.send_from_module(ctx, MODULE_ACCOUNT, to, &coins)
    }

    fn add_earnings(&self, ctx: &mut Ctx<'_>, c: &Address, amount: u128) -> Result<()> {
        let mut e = self.earnings(ctx, c)?;
        let total: u128 = e
            .total_earned
            .parse()
            .map_err(|_| AttributionError::Corrupt(format!("earnings of {c}")))?;
        e.total_earned = total.saturating_add(amount).to_string();
        e.attributions += 1;
        ctx.set(keys::earnings(c), e.encode_to_vec())
    }
}
