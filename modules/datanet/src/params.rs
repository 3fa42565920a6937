use openledger_proto::openledger::datanet::v1::Params;

use crate::DatanetError;

pub fn default_params() -> Params {
    Params {
        max_record_bytes_limit: 64 * 1024,
        max_records_per_msg: 1000,
        gas_per_record_byte: 10,
        max_curators: 32,
        max_name_bytes: 128,
        max_description_bytes: 4096,
        max_schema_bytes: 16 * 1024,
        max_reason_bytes: 512,
    }
}

pub fn validate(p: &Params) -> Result<(), DatanetError> {
    let zero = [
        ("max_record_bytes_limit", p.max_record_bytes_limit == 0),
        ("max_records_per_msg", p.max_records_per_msg == 0),
        ("max_curators", p.max_curators == 0),
        ("max_name_bytes", p.max_name_bytes == 0),
        ("max_schema_bytes", p.max_schema_bytes == 0),
    ];
    for (name, is_zero) in zero {
        if is_zero {
            return Err(DatanetError::InvalidRequest(format!(
                "params: {name} must be positive"
            )));
        }
    }
    Ok(())
}
