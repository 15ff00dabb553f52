#pragma once
// Batch packing (design.md §3.2): recordings → CSR batches of the channels an analysis needs.
#include <string>
#include <vector>

#include "swingpipe/host/recording.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::pipeline {

/// Indices of `wanted` channels in `rec` (all channels, in order, when `wanted` is empty).
/// InputError naming the recording and the missing channel.
std::vector<int> channel_indices(const Recording& rec, const std::vector<std::string>& wanted);

/// One recording's chosen channels, channel-major, as T.
template <class T>
std::vector<T> extract_channels(const Recording& rec, const std::vector<int>& indices);

/// Packs the chosen channels of every recording into one CSR batch (no padding). Every
/// recording must have the channels; the batch has wanted.size() channels (or the first
/// recording's count when `wanted` is empty, and then all must agree).
template <class T>
Batch<T> pack(const std::vector<Recording>& recs, const std::vector<std::string>& wanted);

}  // namespace swingpipe::pipeline
