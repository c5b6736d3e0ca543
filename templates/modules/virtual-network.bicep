metadata name = 'Virtual network'
metadata description = 'A virtual network and the subnets gen manages, each its own child resource: a redeploy keeps subnets others added to the VNet.'

@export()
@description('A subnet of a virtual network.')
type subnetType = {
  @description('Required. Subnet name.')
  name: string

  @description('Required. Subnet prefix, inside the address space.')
  addressPrefix: string

  @description('Optional. Resource ID of an existing network security group to associate.')
  networkSecurityGroupId: string?
}

@export()
@description('A virtual network with its subnets.')
type virtualNetworkType = {
  @description('Required. Name of the virtual network.')
  name: string

  @description('Required. Address prefixes of the virtual network.')
  addressPrefixes: string[]

  @description('Required. The subnets gen manages.')
  subnets: subnetType[]
}

@description('Required. Name of the virtual network.')
param name string

@description('Required. Azure region of the virtual network.')
param location string

@description('Optional. Tags put on the virtual network.')
param tags object = {}

@description('Required. Address prefixes of the virtual network.')
param addressPrefixes string[]

@description('Required. Subnets of the virtual network, in spec order.')
param subnets subnetType[]

@description('Optional. Route table resource IDs by subnet name, for the subnets that have one.')
param routeTableResourceIds object = {}

// The network security groups named in the spec, by subnet name.
var networkSecurityGroupIds = toObject(
  filter(subnets, subnet => subnet.?networkSecurityGroupId != null),
  subnet => subnet.name,
  subnet => subnet.networkSecurityGroupId!
)

// No `subnets` property: from API version 2023-11-01 a virtual network PUT without it keeps the subnets the VNet
// has, so a subnet another team added (a DNS resolver's, a private endpoint's) survives a redeploy. Subnets are
// child resources instead, as Learn's Bicep guidance now says:
// https://learn.microsoft.com/azure/azure-resource-manager/bicep/scenarios-virtual-networks
resource virtualNetwork 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: addressPrefixes
    }
  }
}

// Every subnet write updates the VNet: one at a time, or Azure refuses the next with AnotherOperationInProgress.
@batchSize(1)
resource subnetResources 'Microsoft.Network/virtualNetworks/subnets@2025-05-01' = [
  for subnet in subnets: {
    parent: virtualNetwork
    name: subnet.name
    properties: {
      addressPrefix: subnet.addressPrefix
      routeTable: contains(routeTableResourceIds, subnet.name) ? { id: routeTableResourceIds[subnet.name] } : null
      networkSecurityGroup: contains(networkSecurityGroupIds, subnet.name)
        ? { id: networkSecurityGroupIds[subnet.name] }
        : null
    }
  }
]

@description('Resource ID of the virtual network.')
output resourceId string = virtualNetwork.id

@description('Name of the virtual network.')
output name string = virtualNetwork.name

@description('Subnet resource IDs by subnet name.')
output subnetResourceIds object = toObject(
  subnets,
  subnet => subnet.name,
  subnet => resourceId('Microsoft.Network/virtualNetworks/subnets', virtualNetwork.name, subnet.name)
)
