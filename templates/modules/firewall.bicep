metadata name = 'Azure Firewall'
metadata description = 'Azure Firewall in AzureFirewallSubnet with a firewall policy whose rule collection group holds the spec\'s network rules.'

@export()
@description('A network rule of the firewall policy.')
type networkRuleType = {
  @description('Required. Rule name.')
  name: string

  @description('Required. Free text shown with the rule.')
  description: string

  @description('Required. Source addresses or prefixes, or *.')
  sourceAddresses: string[]

  @description('Required. Destination addresses or prefixes, or *.')
  destinationAddresses: string[]

  @description('Required. Destination ports or ranges, or *.')
  destinationPorts: string[]

  @description('Required. IP protocols.')
  ipProtocols: ('TCP' | 'UDP' | 'ICMP' | 'Any')[]
}

@export()
@description('The hub Azure Firewall and its policy.')
type firewallType = {
  @description('Required. Name of the firewall.')
  name: string

  @description('Required. Firewall tier.')
  tier: 'Basic' | 'Standard' | 'Premium'

  @description('Required. Name of the firewall policy.')
  policyName: string

  @description('Required. Name of the rule collection group holding the network rules.')
  ruleCollectionGroupName: string

  @description('Required. Name of the data-path public IP.')
  publicIpName: string

  @description('Required. Name of the management public IP; empty without a management IP configuration.')
  managementPublicIpName: string

  @description('Required. Private IP the firewall is expected to get: the first usable address of AzureFirewallSubnet.')
  expectedPrivateIpAddress: string

  @description('Required. Destinations the firewall does not SNAT: IANA private ranges plus every public-range on-premises and branch prefix.')
  snatPrivateRanges: string[]

  @description('Required. Network rules of the policy, in order.')
  networkRules: networkRuleType[]
}

@description('Required. Name of the firewall.')
param name string

@description('Required. Azure region of the firewall, its policy and its public IPs.')
param location string

@description('Optional. Tags put on every resource of the module.')
param tags object = {}

@description('Required. Firewall tier; the policy gets the same.')
param tier 'Basic' | 'Standard' | 'Premium'

@description('Required. Name of the firewall policy.')
param policyName string

@description('Optional. Name of the rule collection group holding the network rules.')
param ruleCollectionGroupName string = 'network-rules'

@description('Required. Name of the data-path public IP.')
param publicIpName string

@description('Optional. Name of the management public IP; empty when the firewall has no management IP configuration.')
param managementPublicIpName string = ''

@description('Required. Resource ID of AzureFirewallSubnet.')
param firewallSubnetResourceId string

@description('Optional. Resource ID of AzureFirewallManagementSubnet; empty when not used.')
param managementSubnetResourceId string = ''

@description('Required. Destinations the firewall does not SNAT: transit keeps its source address both ways.')
param snatPrivateRanges string[]

@description('Required. Network rules, allowed in order.')
param networkRules networkRuleType[]

var withManagement = !empty(managementPublicIpName)

module publicIp 'public-ip.bicep' = {
  name: 'pip-${uniqueString(deployment().name, publicIpName)}'
  params: {
    name: publicIpName
    location: location
    tags: tags
  }
}

module managementPublicIp 'public-ip.bicep' = if (withManagement) {
  name: 'pip-${uniqueString(deployment().name, managementPublicIpName)}'
  params: {
    name: managementPublicIpName
    location: location
    tags: tags
  }
}

resource policy 'Microsoft.Network/firewallPolicies@2025-05-01' = {
  name: policyName
  location: location
  tags: tags
  properties: {
    sku: {
      tier: tier
    }
    threatIntelMode: 'Alert'
    // Network rules SNAT every destination outside these ranges (by default IANA's private ranges only).
    snat: {
      privateRanges: snatPrivateRanges
    }
  }
}

resource networkRuleGroup 'Microsoft.Network/firewallPolicies/ruleCollectionGroups@2025-05-01' = {
  parent: policy
  name: ruleCollectionGroupName
  properties: {
    priority: 200
    ruleCollections: [
      {
        ruleCollectionType: 'FirewallPolicyFilterRuleCollection'
        name: 'allow-network'
        priority: 100
        action: {
          type: 'Allow'
        }
        rules: [
          for rule in networkRules: {
            ruleType: 'NetworkRule'
            name: rule.name
            description: rule.description
            sourceAddresses: rule.sourceAddresses
            destinationAddresses: rule.destinationAddresses
            destinationPorts: rule.destinationPorts
            ipProtocols: rule.ipProtocols
          }
        ]
      }
    ]
  }
}

resource firewall 'Microsoft.Network/azureFirewalls@2025-05-01' = {
  name: name
  location: location
  tags: tags
  zones: ['1', '2', '3']
  properties: {
    sku: {
      name: 'AZFW_VNet'
      tier: tier
    }
    firewallPolicy: {
      id: policy.id
    }
    ipConfigurations: [
      {
        name: 'ipconfig1'
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
          name: 'management'
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
  }
  // A policy still being written makes the firewall update fail: rules first.
  dependsOn: [
    networkRuleGroup
  ]
}

@description('Resource ID of the firewall.')
output resourceId string = firewall.id

@description('Name of the firewall.')
output name string = firewall.name

@description('Resource ID of the firewall policy.')
output policyResourceId string = policy.id

@description('Private (frontend) IP the firewall got in AzureFirewallSubnet.')
output privateIpAddress string = firewall.properties.ipConfigurations[0].properties.privateIPAddress

@description('Public IP address of the firewall.')
output publicIpAddress string = publicIp.outputs.ipAddress
