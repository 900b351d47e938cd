// SMX_DOMAIN chooses the domain of a participant made without one (library, Python, examples, tool).
#include <smx/error.hpp>
#include <smx/participant.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace {

// Sets SMX_DOMAIN for one test and puts back what was there.
class DomainVariable {
public:
    explicit DomainVariable(const char* value) {
        if (const char* old = std::getenv("SMX_DOMAIN")) m_old = old;
        if (value) ::setenv("SMX_DOMAIN", value, 1);
        else ::unsetenv("SMX_DOMAIN");
    }
    ~DomainVariable() {
        if (m_old) ::setenv("SMX_DOMAIN", m_old->c_str(), 1);
        else ::unsetenv("SMX_DOMAIN");
    }

private:
    std::optional<std::string> m_old;
};

}  // namespace

TEST(DefaultDomain, is_0_without_SMX_DOMAIN_and_SMX_DOMAIN_when_it_is_set) {
    {
        const DomainVariable unset(nullptr);
        EXPECT_EQ(smx::default_domain(), 0);
    }
    {
        const DomainVariable empty("");
        EXPECT_EQ(smx::default_domain(), 0);
    }
    for (const auto& [text, value] : {std::pair{"0", 0}, {"17", 17}, {"230", 230}}) {
        const DomainVariable set(text);
        EXPECT_EQ(smx::default_domain(), value) << text;
    }
}

TEST(DefaultDomain, anything_but_a_domain_id_is_refused_naming_the_variable_and_the_fix) {
    for (const char* bad : {"231", "-1", "abc", "7x", " 7", "99999999999999999999"}) {
        const DomainVariable set(bad);
        try {
            (void)smx::default_domain();
            ADD_FAILURE() << "SMX_DOMAIN='" << bad << "' was accepted";
        } catch (const smx::InvalidArgument& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("SMX_DOMAIN='"), std::string::npos) << m;
            EXPECT_NE(m.find("0..230"), std::string::npos) << m;
        }
    }
}

TEST(DefaultDomain, a_participant_made_without_a_domain_joins_SMX_DOMAIN) {
    const DomainVariable set("201");
    const smx::Participant p;
    EXPECT_EQ(p.domain_id(), 201);
}
