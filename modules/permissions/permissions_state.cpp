// Loading and publishing the address table (permissions_state.h).
#include "modules/permissions/permissions_state.h"

#include <vector>

#include "core/config/config.h"
#include "core/log/log.h"
#include "modules/permissions/address_source.h"

namespace osprey::permissions {

Settings g_settings;

namespace {

PublishedTable* g_published = nullptr;

// address_file is relative to the configuration file's directory, as in Kamailio.
std::string addressFilePath() {
    const std::string& f = g_settings.addressFile;
    if (f.empty() || f.front() == '/') return f;
    const std::string& dir = config::current().dir;
    return (dir.empty() ? std::string(".") : dir) + "/" + f;
}

}  // namespace

PublishedTable* published() {
    return g_published;
}
void setPublished(PublishedTable* p) {
    g_published = p;
}

void freeTable(void* t) {
    AddressTable::destroy(static_cast<AddressTable*>(t));
}

AddressTable* loadTable(std::string* error) {
    std::vector<AddressRow> rows;
    if (!g_settings.addressFile.empty()) {
        if (!loadAddressFile(addressFilePath(), &rows, error)) return nullptr;
    } else if (!g_settings.dbUrl.empty()) {
        if (!loadAddressDb(g_settings.dbUrl, g_settings.addressTable, &rows, error)) {
            return nullptr;
        }
    }
    return AddressTable::build(rows, static_cast<unsigned>(g_settings.maxSubnets), error);
}

bool reloadTable(std::string* error) {
    PublishedTable* p = g_published;
    if (p == nullptr) {
        *error = "not initialized";
        return false;
    }
    AddressTable* t = loadTable(error);
    if (t == nullptr) return false;
    const size_t exact = static_cast<size_t>(t->exactEnd() - t->exactBegin());
    const size_t subnets = static_cast<size_t>(t->subnetEnd() - t->subnetBegin());
    p->publish(t, &freeTable);
    LM_INFO("permissions: address table loaded: %zu addresses, %zu subnets", exact, subnets);
    return true;
}

}  // namespace osprey::permissions
