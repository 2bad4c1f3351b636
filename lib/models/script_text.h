#pragma once
// Helpers for the TorchScript source text a model writes of itself
// (Seq2SeqModel::define_torchscript): C++ frontend modules cannot be scripted,
// so each model spells its inference path out as TorchScript, with its options
// filled in as constants.
#include <torch/torch.h>

#include <map>
#include <string>

namespace s2s {

// A double as a TorchScript literal that parses back to the same value.
std::string script_literal(double value);

// Replaces every ${KEY} in `text` by its value; ${LONG} and ${DOUBLE} are
// always defined (TorchScript without Python names dtypes by their codes).
std::string fill_script(std::string text, std::map<std::string, std::string> values);

// "True" / "False".
std::string script_bool(bool b);

}  // namespace s2s
