// Botan probes the processor with three `cpuid` instructions (leaves 0, 1 and 7) the first time a CGI
// process hashes. On a virtual machine each one traps to the hypervisor (bench/run's "one cpuid instruction"
// row), while the C library has already read those very leaves at process start, for its own choice of
// string functions. Linked into the bundle's program with
// -Wl,--wrap=_ZN5Botan5CPUID10CPUID_Data19detect_cpu_featuresEPm (meson.build, option bundle), Botan's probe
// comes here instead and gets its answer from the C library's copy of those registers
// (__x86_get_cpuid_feature_leaf, glibc 2.33): the same bits, decided by the same rules as Botan 2.19's
// src/lib/utils/cpuid/cpuid_x86.cpp, without a trap.
#include <cstddef>
#include <cstdint>

// cpuid.h is public in Botan 2, which this file is written for (Botan 3 has no such probe to replace); the
// define keeps its note that a later version will make it internal out of the build's warnings.
#define BOTAN_NO_DEPRECATED_WARNINGS
#include <botan/cpuid.h>

// From glibc's <sys/platform/x86.h> (glibc 2.33), whose two inline helpers are C (_Bool) that a C++ compiler
// other than GCC refuses: the registers `cpuid` returned for a leaf, as the C library read them at start.
extern "C" {
struct cpuid_feature {
    unsigned int cpuid_array[4]; // EAX, EBX, ECX, EDX
    unsigned int active_array[4];
};
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the C library's name
const cpuid_feature* __x86_get_cpuid_feature_leaf(unsigned int leaf) __attribute__((pure));
}

namespace {

using Botan::CPUID;

// The C library's numbers for the two leaves Botan reads (CPUID_INDEX_1, CPUID_INDEX_7: leaf 7, sub-leaf 0).
enum class Leaf : unsigned int { basic = 0, extended = 1 };
enum class Register : unsigned int { eax = 0, ebx = 1, ecx = 2, edx = 3 };

/// A feature as the processor states it: one bit of one register of one leaf, as `cpuid` returned it (not
/// the C library's judgement of whether it may be used, because Botan reads the raw bits too).
struct Feature {
    Leaf leaf;
    Register reg;
    unsigned int bit;
};

bool stated(Feature feature) {
    const cpuid_feature* registers = __x86_get_cpuid_feature_leaf(static_cast<unsigned int>(feature.leaf));
    return ((registers->cpuid_array[static_cast<unsigned int>(feature.reg)] >> feature.bit) & 1U) != 0;
}

// Botan 2.19's bits, in its own order and with its own conditions (cpuid_x86.cpp).
constexpr Feature avx{Leaf::basic, Register::ecx, 28};
constexpr Feature osxsave{Leaf::basic, Register::ecx, 27};
constexpr Feature avx2{Leaf::extended, Register::ebx, 5};
constexpr Feature bmi1{Leaf::extended, Register::ebx, 3};
constexpr Feature bmi2{Leaf::extended, Register::ebx, 8};
constexpr Feature avx512f{Leaf::extended, Register::ebx, 16};

struct FeatureBit {
    Feature feature;
    CPUID::CPUID_bits botan_bit;
};

// Taken as the processor states them, with no further condition.
constexpr FeatureBit unconditional_bits[] = {
    {{Leaf::basic, Register::edx, 4}, CPUID::CPUID_RDTSC_BIT},
    {{Leaf::basic, Register::edx, 26}, CPUID::CPUID_SSE2_BIT},
    {{Leaf::basic, Register::ecx, 1}, CPUID::CPUID_CLMUL_BIT},
    {{Leaf::basic, Register::ecx, 9}, CPUID::CPUID_SSSE3_BIT},
    {{Leaf::basic, Register::ecx, 19}, CPUID::CPUID_SSE41_BIT},
    {{Leaf::basic, Register::ecx, 20}, CPUID::CPUID_SSE42_BIT},
    {{Leaf::basic, Register::ecx, 25}, CPUID::CPUID_AESNI_BIT},
    {{Leaf::basic, Register::ecx, 30}, CPUID::CPUID_RDRAND_BIT},
    {{Leaf::extended, Register::ebx, 18}, CPUID::CPUID_RDSEED_BIT},
    {{Leaf::extended, Register::ebx, 19}, CPUID::CPUID_ADX_BIT},
    {{Leaf::extended, Register::ebx, 29}, CPUID::CPUID_SHA_BIT},
};

// Given only with AVX-512 Foundation (and usable AVX).
constexpr FeatureBit avx512_bits[] = {
    {{Leaf::extended, Register::ebx, 17}, CPUID::CPUID_AVX512DQ_BIT},
    {{Leaf::extended, Register::ebx, 30}, CPUID::CPUID_AVX512BW_BIT},
    {{Leaf::extended, Register::ecx, 9}, CPUID::CPUID_AVX512_AES_BIT}, // VAES
    {{Leaf::extended, Register::ecx, 10}, CPUID::CPUID_AVX512_CLMUL_BIT}, // VPCLMULQDQ
};

// Botan's "Ice Lake" profile: AVX-512 F, DQ, IFMA, BW, VL, VBMI, VBMI2 and BITALG, all of them.
constexpr Feature icelake_features[] = {
    avx512f,
    {Leaf::extended, Register::ebx, 17},
    {Leaf::extended, Register::ebx, 21},
    {Leaf::extended, Register::ebx, 30},
    {Leaf::extended, Register::ebx, 31},
    {Leaf::extended, Register::ecx, 1},
    {Leaf::extended, Register::ecx, 6},
    {Leaf::extended, Register::ecx, 12},
};

template<std::size_t N> std::uint64_t bits_stated(const FeatureBit (&table)[N]) {
    std::uint64_t bits = 0;
    for (const FeatureBit& row : table) {
        if (stated(row.feature)) {
            bits |= row.botan_bit;
        }
    }
    return bits;
}

} // namespace

// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the name --wrap defines
extern "C" std::uint64_t
__wrap__ZN5Botan5CPUID10CPUID_Data19detect_cpu_featuresEPm(std::size_t* cache_line_size) noexcept {
    std::uint64_t features = bits_stated(unconditional_bits);

    // Botan's condition for AVX: the processor has it and the kernel saves its registers (OSXSAVE).
    const bool has_avx = stated(avx) && stated(osxsave);
    if (has_avx && stated(avx2)) {
        features |= CPUID::CPUID_AVX2_BIT;
    }
    // BMI2 only with BMI1, so that code for BMI2 may use both.
    if (stated(bmi1)) {
        features |= CPUID::CPUID_BMI1_BIT;
        if (stated(bmi2)) {
            features |= CPUID::CPUID_BMI2_BIT;
        }
    }
    if (has_avx && stated(avx512f)) {
        features |= CPUID::CPUID_AVX512F_BIT | bits_stated(avx512_bits);
        bool icelake = true;
        for (const Feature& feature : icelake_features) {
            icelake = icelake && stated(feature);
        }
        if (icelake) {
            features |= CPUID::CPUID_AVX512_ICL_BIT;
        }
    }

    // Botan reads the cache line size from leaf 1 on Intel processors (CLFLUSH's line size in 8-byte units,
    // EBX bits 8 to 15) and from leaf 0x80000005 on AMD's; this takes leaf 1's on every processor. Botan uses
    // the size only as the stride of its prefetches of cipher tables, which HMAC-SHA-256 has none of: a
    // different value could change a table cipher's speed, never a result. Zero leaves Botan its default.
    const cpuid_feature* basic = __x86_get_cpuid_feature_leaf(static_cast<unsigned int>(Leaf::basic));
    *cache_line_size =
        std::size_t{8} * ((basic->cpuid_array[static_cast<unsigned int>(Register::ebx)] >> 8U) & 0xffU);
    return features;
}
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
