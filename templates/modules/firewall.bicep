metadata name = 'Azure Firewall'
metadata description = 'Azure Firewall in AzureFirewallSubnet with a firewall policy and its rule collection groups, or (a firewall that runs them) classic rules on the firewall itself.'

@export()
@description('A rule collection group of the firewall policy, its collections as the policy API writes them.')
type ruleCollectionGroupType = {
  @description('Required. Name of the group.')
  name: string

  @description('Required. Priority of the group (100-65000, lower first within each rule type).')
  priority: int

  @description('Required. Its rule collections (FirewallPolicyFilterRuleCollection, FirewallPolicyNatRuleCollection).')
  ruleCollections: object[]
}

@export()
@description('Classic rule collections of a firewall without a policy, as the firewall API writes them.')
type classicRuleCollectionsType = {
  @description('Required. Network rule collections.')
  network: object[]

  @description('Required. Application rule collections.')
  application: object[]

  @description('Required. NAT rule collections.')
  nat: object[]
}

@export()
@description('The hub Azure Firewall and its policy.')
type firewallType = {
  @description('Required. Name of the firewall.')
  name: string

  @description('Required. Firewall tier.')
  tier: 'Basic' | 'Standard' | 'Premium'

  @description('Required. Availability zones of the firewall and its public IPs; none in a region without zones.')
  zones: string[]

  @description('Required. Name of the firewall policy (unused with classic rules).')
  policyName: string

  @description('Required. Name of the data-path public IP.')
  publicIpName: string

  @description('Required. Name of the management public IP; empty without a management IP configuration.')
  managementPublicIpName: string

  @description('Required. Name of the data-path IP configuration.')
  ipConfigurationName: string

  @description('Required. Name of the management IP configuration.')
  managementIpConfigurationName: string

  @description('Required. Private IP the firewall is expected to get: the first usable address of AzureFirewallSubnet.')
  expectedPrivateIpAddress: string

  @description('Required. Destinations the firewall does not SNAT when Azure\'s default (IANA private ranges) is not enough: those plus every public-range on-premises and branch prefix; empty otherwise.')
  snatPrivateRanges: string[]

  @description('Required. Threat intelligence mode.')
  threatIntelMode: 'Alert' | 'Deny' | 'Off'

  @description('Required. DNS proxy on the firewall\'s private address.')
  dnsProxy: bool

  @description('Required. DNS servers of the firewall; empty: Azure DNS.')
  dnsServers: string[]

  @description('Required. The rules as classic collections on the firewall instead of a policy.')
  classicRules: bool

  @description('Required. Rule collection groups of the policy, in priority order (empty with classic rules).')
  ruleCollectionGroups: ruleCollectionGroupType[]

  @description('Optional. Classic rule collections (with classicRules).')
  classicRuleCollections: classicRuleCollectionsType?
}

@description('Required. Name of the firewall.')
param name string

@description('Required. Azure region of the firewall, its policy and its public IPs.')
param location string

@description('Optional. Tags put on every resource of the module.')
param tags object = {}

@description('Required. Firewall tier; the policy gets the same.')
param tier 'Basic' | 'Standard' | 'Premium'

@description('Optional. Availability zones of the firewall and its public IPs.')
param zones string[] = []

@description('Required. Name of the firewall policy.')
param policyName string

@description('Required. Name of the data-path public IP.')
param publicIpName string

@description('Optional. Name of the management public IP; empty when the firewall has no management IP configuration.')
param managementPublicIpName string = ''

@description('Optional. Name of the data-path IP configuration.')
param ipConfigurationName string = 'ipconfig1'

@description('Optional. Name of the management IP configuration.')
param managementIpConfigurationName string = 'management'

@description('Required. Resource ID of AzureFirewallSubnet.')
param firewallSubnetResourceId string

@description('Optional. Resource ID of AzureFirewallManagementSubnet; empty when not used.')
param managementSubnetResourceId string = ''

@description('Optional. Destinations the firewall does not SNAT, when more than IANA\'s private ranges (Azure\'s default): transit to a public-range site keeps its source address both ways.')
param snatPrivateRanges string[] = []

@description('Optional. Threat intelligence: Alert logs traffic to and from known malicious addresses, Deny also blocks it.')
param threatIntelMode 'Alert' | 'Deny' | 'Off' = 'Alert'

@description('Optional. DNS proxy on the firewall\'s private address.')
param dnsProxy bool = false

@description('Optional. DNS servers the firewall uses; empty: Azure DNS.')
param dnsServers string[] = []

@description('Optional. Keep the rules as classic collections on the firewall, without a policy.')
param classicRules bool = false

@description('Optional. Rule collection groups of the policy.')
param ruleCollectionGroups ruleCollectionGroupType[] = []

@description('Optional. Classic rule collections, with classicRules.')
param classicRuleCollections classicRuleCollectionsType = {
  network: []
  application: []
  nat: []
}

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var withManagement = !empty(managementPublicIpName)
var kept = asDeployed[?resourceId('Microsoft.Network/azureFirewalls', name)] ?? asDeployed[?'Microsoft.Network/azureFirewalls/${name}'] ?? {}
var keptPolicy = asDeployed[?resourceId('Microsoft.Network/firewallPolicies', policyName)] ?? asDeployed[?'Microsoft.Network/firewallPolicies/${policyName}'] ?? {}

module publicIp 'public-ip.bicep' = {
  name: 'pip-${uniqueString(deployment().name, publicIpName)}'
  params: {
    name: publicIpName
    location: location
    tags: tags
    zones: zones
    asDeployed: asDeployed
  }
}

module managementPublicIp 'public-ip.bicep' = if (withManagement) {
  name: 'pip-${uniqueString(deployment().name, managementPublicIpName)}'
  params: {
    name: managementPublicIpName
    location: location
    tags: tags
    zones: zones
    asDeployed: asDeployed
  }
}

resource policy 'Microsoft.Network/firewallPolicies@2025-05-01' = if (!classicRules) {
  name: policyName
  location: location
  tags: keptPolicy.?tags ?? tags
  properties: union(
    {
      sku: {
        tier: tier
      }
      threatIntelMode: threatIntelMode
      // Network rules SNAT every destination outside these ranges (by default IANA's private ranges only).
      snat: empty(snatPrivateRanges) ? null : { privateRanges: snatPrivateRanges }
      dnsSettings: dnsProxy || !empty(dnsServers)
        ? {
            enableProxy: dnsProxy
            servers: dnsServers
          }
        : null
    },
    keptPolicy.?properties ?? {}
  )
}

// Groups of one policy are written one at a time: Azure refuses a second write while one is in progress.
@batchSize(1)
resource ruleGroups 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2025-05-01' = [
  for group in ruleCollectionGroups: if (!classicRules) {
    parent: policy
    name: group.name
    properties: {
      priority: group.priority
      ruleCollections: group.ruleCollections
    }
  }
]

// Classic rules keep DNS and SNAT settings in the firewall's additionalProperties, all strings
// (https://learn.microsoft.com/azure/firewall/dns-settings; https://learn.microsoft.com/azure/firewall/snat-private-range).
var classicSettings = union(
  dnsProxy ? { 'Network.DNS.EnableProxy': 'true' } : {},
  empty(dnsServers) ? {} : { 'Network.DNS.Servers': join(dnsServers, ',') },
  empty(snatPrivateRanges) ? {} : { 'Network.SNAT.PrivateRanges': join(snatPrivateRanges, ',') }
)

resource firewall 'Microsoft.Network/azureFirewalls@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  zones: zones
  properties: union(
    {
      sku: {
        name: 'AZFW_VNet'
        tier: tier
      }
      // A firewall holds either a policy or classic rules, never both (Azure/azure-cli issue 11834).
      firewallPolicy: classicRules ? null : { id: resourceId('Microsoft.Network/firewallPolicies', policyName) }
      threatIntelMode: classicRules ? threatIntelMode : null
      additionalProperties: classicRules ? classicSettings : null
      networkRuleCollections: classicRules ? classicRuleCollections.network : null
      applicationRuleCollections: classicRules ? classicRuleCollections.application : null
      natRuleCollections: classicRules ? classicRuleCollections.nat : null
      ipConfigurations: [
        {
          name: ipConfigurationName
          properties: {
            subnet: {
              id: firewallSubnetResourceId
            }
            publicIPAddress: {
              id: publicIp.outputs.resourceId
            }
          }
        }
      ]
      managementIpConfiguration: withManagement
        ? {
            name: managementIpConfigurationName
            properties: {
              subnet: {
                id: managementSubnetResourceId
              }
              publicIPAddress: {
                id: managementPublicIp!.outputs.resourceId
              }
            }
          }
        : null
    },
    kept.?properties ?? {}
  )
  // A policy still being written makes the firewall update fail: rules first.
  dependsOn: [
    ruleGroups
  ]
}

@description('Resource ID of the firewall.')
output resourceId string = firewall.id

@description('Name of the firewall.')
output name string = firewall.name

@description('Resource ID of the firewall policy; empty with classic rules.')
output policyResourceId string = classicRules ? '' : resourceId('Microsoft.Network/firewallPolicies', policyName)

@description('Private (frontend) IP the firewall got in AzureFirewallSubnet.')
output privateIpAddress string = firewall.properties.ipConfigurations[0].properties.privateIPAddress

@description('Public IP address of the firewall.')
output publicIpAddress string = publicIp.outputs.ipAddress
