//! Message handlers. IBC core's messages (`ibc.core.client/connection/channel.v1.Msg*`) go
//! through ibc-rs whole ([`IbcKeeper::dispatch`]); `MsgTransfer` through ICS-20's send
//! handler. Each is signed by its `signer` (a relayer, or the sender of a transfer), goes
//! through the normal ante pipeline and pays gas for the state it reads and writes.

use ibc::primitives::proto::Any as IbcAny;
use ibc_proto::ibc::applications::transfer::v1::{
    MsgTransfer, MsgTransferResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;
use openledger_framework::coins::parse_amount;
use openledger_framework::{
    AbciError, Address, Ctx, MsgResponse, MsgServiceRouter, check_authority, type_url,
};
use prost::Message;

use crate::{IbcError, IbcKeeper, keys};

/// `ResponseResultType::SUCCESS` of the packet messages' responses.
const RESULT_SUCCESS: i32 = 2;

/// The one signer of an IBC message.
fn signer(signer: &str) -> Result<Vec<Address>, AbciError> {
    Ok(vec![Address::from_field("signer", signer)?])
}

fn to_any<M: prost::Name>(m: &M) -> IbcAny {
    IbcAny {
        type_url: type_url::<M>(),
        value: m.encode_to_vec(),
    }
}

/// Routes each core message to ibc-rs, answering with its (empty or success) response.
macro_rules! core_msgs {
    ($router:expr, $keeper:expr; $($msg:ty => $resp:expr),* $(,)?) => {$(
        let k = $keeper.clone();
        $router.add(
            |m: &$msg| signer(&m.signer),
            move |ctx: &mut Ctx<'_>, m: $msg| {
                k.dispatch(ctx, to_any(&m))?;
                Ok(MsgResponse::of(&$resp))
            },
        );
    )*};
}

pub fn register_core(keeper: IbcKeeper, router: &mut MsgServiceRouter) {
    core_msgs!(router, keeper;
        client::MsgCreateClient => client::MsgCreateClientResponse {},
        client::MsgUpdateClient => client::MsgUpdateClientResponse {},
        client::MsgUpgradeClient => client::MsgUpgradeClientResponse {},
        client::MsgSubmitMisbehaviour => client::MsgSubmitMisbehaviourResponse {},
        connection::MsgConnectionOpenInit => connection::MsgConnectionOpenInitResponse {},
        connection::MsgConnectionOpenTry => connection::MsgConnectionOpenTryResponse {},
        connection::MsgConnectionOpenAck => connection::MsgConnectionOpenAckResponse {},
        connection::MsgConnectionOpenConfirm => connection::MsgConnectionOpenConfirmResponse {},
        channel::MsgChannelOpenInit => channel::MsgChannelOpenInitResponse::default(),
        channel::MsgChannelOpenTry => channel::MsgChannelOpenTryResponse::default(),
        channel::MsgChannelOpenAck => channel::MsgChannelOpenAckResponse {},
        channel::MsgChannelOpenConfirm => channel::MsgChannelOpenConfirmResponse {},
        channel::MsgChannelCloseInit => channel::MsgChannelCloseInitResponse {},
        channel::MsgChannelCloseConfirm => channel::MsgChannelCloseConfirmResponse {},
        channel::MsgRecvPacket => channel::MsgRecvPacketResponse { result: RESULT_SUCCESS },
        channel::MsgAcknowledgement => channel::MsgAcknowledgementResponse { result: RESULT_SUCCESS },
        channel::MsgTimeout => channel::MsgTimeoutResponse { result: RESULT_SUCCESS },
        channel::MsgTimeoutOnClose => channel::MsgTimeoutOnCloseResponse { result: RESULT_SUCCESS },
    );
}

pub fn register_transfer(keeper: IbcKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_transfer, move |ctx, m: MsgTransfer| {
        let sequence = k.transfer(ctx, m)?;
        Ok(MsgResponse::of(&MsgTransferResponse { sequence }))
    });
    router.add(
        |m: &MsgUpdateParams| signer(&m.signer),
        move |ctx, m: MsgUpdateParams| {
            check_authority(&keeper.authority, &m.signer)?;
            let params = m
                .params
                .ok_or_else(|| IbcError::InvalidMsg("MsgUpdateParams without params".into()))?;
            ctx.set(keys::transfer_params().to_string(), params.encode_to_vec())?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        },
    );
}

/// Stateless checks of a transfer: the sender signs; an amount, a denom and a receiver; a
/// timeout (height or timestamp) so the coins cannot be stuck forever.
fn validate_transfer(m: &MsgTransfer) -> Result<Vec<Address>, AbciError> {
    let sender = Address::from_field("sender", &m.sender)?;
    if m.receiver.trim().is_empty() {
        return Err(IbcError::Transfer("missing receiver".into()).into());
    }
    let token = m
        .token
        .as_ref()
        .ok_or_else(|| IbcError::Transfer("missing token".into()))?;
    if parse_amount(&token.amount)? == 0 {
        return Err(IbcError::Transfer("amount must be positive".into()).into());
    }
    if token.denom.is_empty() {
        return Err(IbcError::Transfer("missing denom".into()).into());
    }
    let no_height = m
        .timeout_height
        .as_ref()
        .is_none_or(|h| h.revision_number == 0 && h.revision_height == 0);
    if no_height && m.timeout_timestamp == 0 {
        return Err(IbcError::Transfer(
            "a packet needs a timeout height or a timeout timestamp".into(),
        )
        .into());
    }
    Ok(vec![sender])
}
