#pragma once
/// @file smx.hpp
/// Umbrella header: everything a user of smx needs.

#include <smx/array.hpp>
#include <smx/discovery.hpp>
#include <smx/dtype.hpp>
#include <smx/error.hpp>
#include <smx/frame.hpp>
#include <smx/inspect.hpp>
#include <smx/log.hpp>
#include <smx/participant.hpp>
#include <smx/reader.hpp>
#include <smx/schema.hpp>
#include <smx/span.hpp>
#include <smx/typed.hpp>
#include <smx/version.hpp>
#include <smx/waitset.hpp>
#include <smx/writer.hpp>
