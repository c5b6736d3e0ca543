metadata name = 'Virtual network'
metadata description = 'A virtual network with every subnet declared inline, so that a redeploy never drops a subnet or its route table association.'

@export()
@description('A subnet of a virtual network.')
type subnetType = {
  @description('Required. Subnet name.')
  name: string

  @description('Required. Subnet prefix, inside the address space.')
  addressPrefix: string
}

@export()
@description('A virtual network with its subnets.')
type virtualNetworkType = {
  @description('Required. Name of the virtual network.')
  name: string

  @description('Required. Address prefixes of the virtual network.')
  addressPrefixes: string[]

  @description('Required. Subnets, declared inline.')
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

resource virtualNetwork 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: addressPrefixes
    }
    subnets: [
      for subnet in subnets: {
        name: subnet.name
        properties: {
          addressPrefix: subnet.addressPrefix
          routeTable: contains(routeTableResourceIds, subnet.name) ? { id: routeTableResourceIds[subnet.name] } : null
        }
      }
    ]
  }
}

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
