// bundle/cpu_features.cpp stands in for Botan's CPU probe in the bundle. Compiled into the runner of the
// normal build, whose Botan ran its own probe (the `cpuid` instruction): the stand-in must report the very
// features Botan found, bit for bit, and a cache line size Botan would use.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

// cpuid.h is public in Botan 2; see bundle/cpu_features.cpp.
#define BOTAN_NO_DEPRECATED_WARNINGS
#include <botan/cpuid.h>

// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the name --wrap defines
extern "C" std::uint64_t
__wrap__ZN5Botan5CPUID10CPUID_Data19detect_cpu_featuresEPm(std::size_t* cache_line_size) noexcept;
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

BOOST_AUTO_TEST_SUITE(cpu_features_cpp)

using Botan::CPUID;

BOOST_AUTO_TEST_CASE(finds_every_feature_botan_finds) {
    const std::vector<std::pair<CPUID::CPUID_bits, const char*>> bits{
        {CPUID::CPUID_SSE2_BIT, "sse2"},
        {CPUID::CPUID_SSSE3_BIT, "ssse3"},
        {CPUID::CPUID_SSE41_BIT, "sse41"},
        {CPUID::CPUID_SSE42_BIT, "sse42"},
        {CPUID::CPUID_AVX2_BIT, "avx2"},
        {CPUID::CPUID_AVX512F_BIT, "avx512f"},
        {CPUID::CPUID_AVX512DQ_BIT, "avx512dq"},
        {CPUID::CPUID_AVX512BW_BIT, "avx512bw"},
        {CPUID::CPUID_AVX512_ICL_BIT, "avx512_icelake"},
        {CPUID::CPUID_AESNI_BIT, "aes_ni"},
        {CPUID::CPUID_CLMUL_BIT, "clmul"},
        {CPUID::CPUID_RDRAND_BIT, "rdrand"},
        {CPUID::CPUID_RDSEED_BIT, "rdseed"},
        {CPUID::CPUID_SHA_BIT, "intel_sha"},
        {CPUID::CPUID_AVX512_AES_BIT, "avx512_aes"},
        {CPUID::CPUID_AVX512_CLMUL_BIT, "avx512_clmul"},
        {CPUID::CPUID_RDTSC_BIT, "rdtsc"},
        {CPUID::CPUID_ADX_BIT, "adx"},
        {CPUID::CPUID_BMI1_BIT, "bmi1"},
        {CPUID::CPUID_BMI2_BIT, "bmi2"},
    };
    std::size_t cache_line_size = 0;
    const std::uint64_t found = __wrap__ZN5Botan5CPUID10CPUID_Data19detect_cpu_featuresEPm(&cache_line_size);
    std::uint64_t listed = 0;
    for (const auto& [bit, name] : bits) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(((found & bit) != 0) == CPUID::has_cpuid_bit(bit));
        }
        listed |= bit;
    }
    // No bit beyond the ones Botan 2.19 defines for x86, which the table above lists.
    BOOST_TEST((found & ~listed) == 0U);
    // Every x86-64 processor has SSE2: a stand-in that read nothing would fail here, on any machine.
    BOOST_TEST((found & CPUID::CPUID_SSE2_BIT) != 0U);
    BOOST_TEST(cache_line_size == CPUID::cache_line_size());
}

BOOST_AUTO_TEST_SUITE_END()
