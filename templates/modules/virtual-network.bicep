metadata name = 'Virtual network'
metadata description = 'A virtual network and the subnets gen manages, each its own child resource: a redeploy keeps subnets others added to the VNet.'

@export()
@description('The route table on a subnet: by name, in the VNet\'s resource group unless it names another.')
type subnetRouteTableType = {
  @description('Required. Name of the route table.')
  name: string

  @description('Optional. Its resource group, when not the VNet\'s.')
  resourceGroup: string?

  @description('Optional. Its subscription, when not the VNet\'s.')
  subscriptionId: string?
}

@export()
@description('A subnet of a virtual network.')
type subnetType = {
  @description('Required. Subnet name.')
  name: string

  @description('Required. Subnet prefix, inside the address space.')
  addressPrefix: string

  @description('Optional. Resource ID of an existing network security group to associate.')
  networkSecurityGroupId: string?

  @description('Optional. The route table gen writes for the subnet.')
  routeTable: subnetRouteTableType?
}

@export()
@description('A virtual network with its subnets.')
type virtualNetworkType = {
  @description('Required. Name of the virtual network.')
  name: string

  @description('Required. Address prefixes of the virtual network.')
  addressPrefixes: string[]

  @description('Optional. DNS servers of the VNet; none: Azure DNS.')
  dnsServers: string[]?

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

@description('Optional. DNS servers of the VNet\'s machines; empty: Azure DNS.')
param dnsServers string[] = []

@description('Required. Subnets of the virtual network, in spec order.')
param subnets subnetType[]

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var kept = asDeployed[?resourceId('Microsoft.Network/virtualNetworks', name)] ?? asDeployed[?'Microsoft.Network/virtualNetworks/${name}'] ?? {}

// No `subnets` property: from API version 2023-11-01 a virtual network PUT without it keeps the subnets the VNet
// has, so a subnet another team added (a DNS resolver's, a private endpoint's) survives a redeploy. Subnets are
// child resources instead, as Learn's Bicep guidance now says:
// https://learn.microsoft.com/azure/azure-resource-manager/bicep/scenarios-virtual-networks
resource virtualNetwork 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  properties: union(
    {
      addressSpace: {
        addressPrefixes: addressPrefixes
      }
      // A VNet with DNS servers must list them: a redeploy without them sets it back to Azure DNS.
      dhcpOptions: empty(dnsServers) ? null : { dnsServers: dnsServers }
    },
    kept.?properties ?? {}
  )
}

// What each running subnet keeps (asDeployed), by its resource ID or by its type and name.
var keptSubnets = map(
  subnets,
  subnet =>
    (asDeployed[?resourceId('Microsoft.Network/virtualNetworks/subnets', name, subnet.name)] ?? asDeployed[?'Microsoft.Network/virtualNetworks/${name}/subnets/${subnet.name}']).?properties ?? {}
)

// Every subnet write updates the VNet: one at a time, or Azure refuses the next with AnotherOperationInProgress.
@batchSize(1)
resource subnetResources 'Microsoft.Network/virtualNetworks/subnets@2025-05-01' = [
  for (subnet, index) in subnets: {
    parent: virtualNetwork
    name: subnet.name
    properties: union(
      {
        // A running subnet created with `addressPrefixes` keeps that form: Azure refuses a body with both.
        addressPrefix: contains(keptSubnets[index], 'addressPrefixes') ? null : subnet.addressPrefix
        routeTable: subnet.?routeTable == null
          ? null
          : {
              id: resourceId(
                subnet.?routeTable.?subscriptionId ?? subscription().subscriptionId,
                subnet.?routeTable.?resourceGroup ?? resourceGroup().name,
                'Microsoft.Network/routeTables',
                subnet.routeTable!.name
              )
            }
        networkSecurityGroup: subnet.?networkSecurityGroupId == null ? null : { id: subnet.networkSecurityGroupId! }
      },
      keptSubnets[index]
    )
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
